/**
 * The Python environment of the Python port (`ports/python`): a virtual environment in the git-ignored
 * `.tools/python-port/venv`, made with `python3 -m venv`, with the port installed in editable mode together with its
 * test extras (pytest, mypy, hvac, temporalio, cryptography) at the exact versions of `ports/python/constraints.txt`,
 * all from PyPI (prebuilt wheels; nothing is compiled).
 *
 * Idempotent and fast when already there: a stamp records a hash of what the install depends on (the port's
 * `pyproject.toml`, the constraints, the interpreter's version); when it matches and the venv's interpreter exists,
 * nothing runs. Editable mode means source changes need no reinstall.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the venv lives, relative to the project root; `test/support/python-port.ts` reads the same path. */
export const PYTHON_PORT_VENV = join('.tools', 'python-port', 'venv');

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...options });
  if (result.error) throw new Error(`${command} could not run (${result.error.message}); install python3 with venv`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${output}`);
  }
  return result.stdout.trim();
}

/**
 * Makes sure the port's venv exists and is current.
 *
 * @param {string} projectRoot absolute path of the project root
 * @returns {{ python: string, source: string, seconds: number }} the venv's interpreter and how it was obtained
 */
export function installPythonPort(projectRoot) {
  const started = performance.now();
  const portDir = join(projectRoot, 'ports', 'python');
  const venvDir = join(projectRoot, PYTHON_PORT_VENV);
  const python = join(venvDir, 'bin', 'python');
  const stampPath = join(projectRoot, '.tools', 'python-port', 'stamp');
  const baseVersion = run('python3', ['-c', 'import sys; print(sys.version)']);
  const stamp = createHash('sha256')
    .update(readFileSync(join(portDir, 'pyproject.toml')))
    .update(readFileSync(join(portDir, 'constraints.txt')))
    .update(baseVersion)
    .digest('hex');
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  if (existsSync(python) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    return { python, source: '.tools (cached)', seconds: seconds() };
  }
  mkdirSync(join(projectRoot, '.tools', 'python-port'), { recursive: true });
  if (!existsSync(python)) run('python3', ['-m', 'venv', '--clear', venvDir]);
  run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--quiet',
      '--constraint',
      join(portDir, 'constraints.txt'),
      '--editable',
      `${portDir}[test]`,
    ],
    // CI runs as root; pip's warning about that is noise for a project-local venv.
    { timeout: 900_000, env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  writeFileSync(stampPath, stamp);
  return { python, source: 'python3 -m venv + pip (PyPI) -> .tools/python-port', seconds: seconds() };
}

// `node scripts/tools/python-port.mjs` installs the port's venv alone (used by `npm run bench:python`).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = installPythonPort(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  console.log(`python port: ${port.python} (from ${port.source}) - ${port.seconds} s`);
}
