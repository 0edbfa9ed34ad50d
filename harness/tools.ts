import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** External binaries the integration tests drive. */
export type ToolName = 'bao' | 'temporal' | 'helm' | 'kubernetes-validate';

/** Absolute path of the project root (this file lives in `test/support/`). */
export const projectRoot: string = findProjectRoot(fileURLToPath(new URL('.', import.meta.url)));

/** The nearest folder above `start` with a package.json: the same from source and from a compiled copy (benchmarks). */
function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(resolve(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve(start, '../..');
    dir = parent;
  }
  return dir;
}

const envVars: Record<ToolName, string> = {
  bao: 'BAO_BIN',
  temporal: 'TEMPORAL_BIN',
  helm: 'HELM_BIN',
  'kubernetes-validate': 'KUBERNETES_VALIDATE_BIN',
};
// Vault's CLI and server are drop-in compatible with OpenBao's for what the tests use.
const pathNames: Record<ToolName, readonly string[]> = {
  bao: ['bao', 'vault'],
  temporal: ['temporal'],
  helm: ['helm'],
  'kubernetes-validate': ['kubernetes-validate'],
};

/** Whether `path` is a regular file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function fromToolsJson(name: ToolName): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolve(projectRoot, '.tools', 'tools.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const value: unknown = (parsed as Record<string, unknown>)[name];
  // A stale entry (e.g. `.tools/` wiped or moved) must not shadow a binary that is still on PATH.
  return typeof value === 'string' && isExecutableFile(value) ? value : undefined;
}

function fromPath(name: ToolName): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const candidate of pathNames[name]) {
    for (const dir of dirs) {
      const full = resolve(dir, candidate);
      if (isExecutableFile(full)) return full;
    }
  }
  return undefined;
}

/**
 * Finds a tool without throwing: env override (`BAO_BIN`, `TEMPORAL_BIN`, `HELM_BIN`, `KUBERNETES_VALIDATE_BIN`), then `.tools/tools.json` written by
 * `scripts/install-tools.mjs`, then PATH (`vault` is accepted for `bao`).
 *
 * @returns the absolute path, or `undefined` when the tool is not available.
 */
export function tryResolveTool(name: ToolName): string | undefined {
  const override = process.env[envVars[name]];
  if (override) return resolve(override);
  return fromToolsJson(name) ?? fromPath(name);
}

/**
 * Like {@link tryResolveTool} but throws an actionable error when the tool is missing.
 *
 * @throws Error telling the user to run `node scripts/install-tools.mjs`.
 */
export function resolveTool(name: ToolName): string {
  const bin = tryResolveTool(name);
  if (bin) return bin;
  throw new Error(
    `The '${name}' binary was not found (checked $${envVars[name]}, .tools/tools.json and PATH). ` +
      'Run `node scripts/install-tools.mjs` from the project root to install it.',
  );
}
