import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../harness/tools.js';

const run = promisify(execFile);

/**
 * Compiles `entries` (project-relative `.ts` files) and what they import with tsc into
 * `test-artifacts/<name>-build/`, for child processes that must run the project's own code in plain Node. The folder
 * sits inside the project so that packages resolve from its `node_modules`, and each caller names its own folder so
 * that test files running in parallel never write the same files. Returns the folder.
 */
export async function compileSources(name: string, entries: readonly string[]): Promise<string> {
  const outDir = resolve(projectRoot, 'test-artifacts', `${name}-build`);
  rmSync(outDir, { recursive: true, force: true });
  const tsc = resolve(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const options = ['--outDir', outDir, '--rootDir', '.', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  const more = ['--target', 'es2022', '--types', 'node', '--skipLibCheck', '--strict', '--esModuleInterop'];
  await run(process.execPath, [tsc, ...options, ...more, ...entries], { cwd: projectRoot, timeout: 180_000 });
  return outDir;
}
