import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Absolute path of a module next to this one, for the SDK options that take paths (`workflowsPath`,
 * `failureConverterPath`). The same code runs from source (vitest: `workflows.ts`) and from `dist/` (compiled
 * `workflows.js`), so the first extension that exists wins.
 *
 * @throws Error naming every candidate when none exists (e.g. a partial build).
 */
export function siblingModulePath(name: string, extensions: readonly string[]): string {
  const candidates = extensions.map((ext) => join(here, `${name}${ext}`));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error(`Module ${name} not found; looked for ${candidates.join(', ')}`);
  return found;
}

/** The workflow module the worker bundles. */
export const workflowsPath: string = siblingModulePath('workflows', ['.js', '.ts']);

/** The failure converter module (`.cjs` once compiled, `.cts` in the source tree). */
export const failureConverterPath: string = siblingModulePath('failure-converter', ['.cjs', '.cts']);
