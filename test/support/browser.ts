import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { isExecutableFile, projectRoot } from '../../harness/tools.js';

/** Where Debian's `chromium` package installs the browser. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a browser that runs in CI containers and sandboxes: no sandbox (containers run as root), no GPU, and none
 * of the background traffic (updates, sync, field trials) that a machine without internet would wait on.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function fromToolsJson(): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(resolve(projectRoot, '.tools', 'tools.json'), 'utf8'));
    const value = (parsed as Record<string, unknown> | null)?.chromium;
    return typeof value === 'string' && isExecutableFile(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Chromium to drive: `CHROMIUM_PATH`, then what `scripts/install-tools.mjs` recorded, then Debian's
 * `/usr/bin/chromium`. Never a Playwright-downloaded browser (CI cannot download one).
 *
 * @throws Error telling the user to run `node scripts/install-tools.mjs` (which installs Debian's package as root).
 */
export function chromiumExecutablePath(): string {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    if (!isExecutableFile(override)) throw new Error(`CHROMIUM_PATH=${override} is not an executable file`);
    return resolve(override);
  }
  const found = fromToolsJson() ?? (isExecutableFile(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined);
  if (found === undefined) {
    throw new Error(
      'No Chromium found (checked $CHROMIUM_PATH, .tools/tools.json and /usr/bin/chromium). Run ' +
        "`node scripts/install-tools.mjs` as root to install Debian's chromium package, or set CHROMIUM_PATH.",
    );
  }
  return found;
}

/** Launches headless Chromium through `playwright-core` (which ships no browser of its own). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumExecutablePath(), args: [...CHROMIUM_ARGS] });
}

/** Absolute path under `test-artifacts/` (git-ignored), for screenshots worth looking at after a run. */
export function artifactPath(name: string): string {
  return resolve(projectRoot, 'test-artifacts', name);
}
