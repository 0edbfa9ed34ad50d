/**
 * Small helpers shared by the tool installers in this folder: finding binaries the way a shell does, and asking a
 * binary for its version.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';

/** Whether `path` is a regular file this process may execute. */
export function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` found on PATH, as an absolute path, or undefined. */
export function findOnPath(names) {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = resolve(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Runs `bin args` and returns the first line of its output; throws with the tool's own error output. */
export function firstOutputLine(bin, args) {
  const out = execFileSync(bin, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n')[0];
}
