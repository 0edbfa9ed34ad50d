/**
 * `kubernetes-validate`, for checking every manifest the Helm chart renders against the Kubernetes API schemas
 * offline: the PyPI package ships the JSON schemas of each Kubernetes release (kubeconform would download them, which
 * CI cannot). Resolution order: `KUBERNETES_VALIDATE_BIN`, `kubernetes-validate` on PATH, an earlier install in
 * `.tools/`, and finally `pip install --target .tools/python/kubernetes-validate`.
 *
 * A `--target` install has no usable entry script of its own, so the installer writes `.tools/bin/kubernetes-validate`:
 * a two-line shell script running `python3 -m kubernetes_validate` with that folder on PYTHONPATH, with the
 * interpreter that installed it (the package's dependencies include a compiled extension built for it).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findOnPath, firstOutputLine, isExecutableFile } from './common.mjs';

/** The pinned PyPI release (its schemas cover Kubernetes 1.25 to 1.37). */
export const KUBERNETES_VALIDATE_VERSION = '1.37.0';

function tryVersion(bin) {
  try {
    // Prints e.g. "kubernetes-validate 1.37.0" (older releases: the bare number).
    return firstOutputLine(bin, ['--version']).split(/\s+/).pop();
  } catch {
    return undefined;
  }
}

function pipInstall(toolsDir) {
  const target = join(toolsDir, 'python', 'kubernetes-validate');
  const pkg = `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`;
  mkdirSync(target, { recursive: true });
  console.log(`install-tools: kubernetes-validate: installing ${pkg} with pip ...`);
  const result = spawnSync(
    'python3',
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--upgrade', '--target', target, pkg],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 600_000,
      // CI and containers run as root; pip's warning about that is noise here because the target is project-local.
      env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
    },
  );
  if (result.error) throw new Error(`kubernetes-validate: could not run python3 -m pip (${result.error.message})`);
  if (result.status !== 0) throw new Error(`kubernetes-validate: pip install ${pkg} failed (exit ${result.status})`);
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  const wrapper = join(toolsDir, 'bin', 'kubernetes-validate');
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;
  writeFileSync(wrapper, `#!/bin/sh\nPYTHONPATH=${quote(target)} exec ${quote(python)} -m kubernetes_validate "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/**
 * Finds or installs kubernetes-validate.
 *
 * @returns `{ bin, source, version }`
 * @throws Error when pip fails.
 */
export function ensureKubernetesValidate(toolsDir) {
  const override = process.env.KUBERNETES_VALIDATE_BIN;
  if (override) {
    const bin = resolve(override);
    return { bin, source: '$KUBERNETES_VALIDATE_BIN', version: tryVersion(bin) };
  }
  const onPath = findOnPath(['kubernetes-validate']);
  if (onPath !== undefined) return { bin: onPath, source: 'PATH', version: tryVersion(onPath) };
  const cached = join(toolsDir, 'bin', 'kubernetes-validate');
  if (isExecutableFile(cached) && tryVersion(cached) === KUBERNETES_VALIDATE_VERSION) {
    return { bin: cached, source: '.tools (cached)', version: KUBERNETES_VALIDATE_VERSION };
  }
  const bin = pipInstall(toolsDir);
  return { bin, source: `pip kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} -> .tools`, version: tryVersion(bin) };
}
