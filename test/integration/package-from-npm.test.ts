import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackRegistry, type LoopbackRegistry } from '../support/loopback-registry.js';
import { packPackage, type PackedPackage } from '../support/packed-package.js';
import { createScratchNpm, upstreamRegistry, type CommandResult, type ScratchNpm } from '../support/scratch-npm.js';
import { describeReadmeProject } from './package-readme.js';

// The package as users get it: packed as `npm publish` would, published on a loopback registry (so that npm treats
// it as a registry package), and installed with the npm on this machine into scratch projects. This file runs the
// commands README.md gives for npm 11's install-script handling; package-readme.ts runs README.md's code.
const workDir = mkdtempSync(join(tmpdir(), 'codec-npm-scripts-'));
let pkg: PackedPackage;
let registry: LoopbackRegistry;
let npm: ScratchNpm;

beforeAll(async () => {
  pkg = await packPackage(workDir);
  registry = await startLoopbackRegistry(pkg, await upstreamRegistry());
  npm = await createScratchNpm(workDir, registry.url);
  const version = await npm.run(workDir, 'npm', ['--version']);
  const [major = 0, minor = 0] = version.stdout.trim().split('.').map(Number);
  // The behaviour documented (and checked below) is npm 11.19's; an older npm has no allowScripts at all.
  expect(major > 11 || (major === 11 && minor >= 19), `npm ${version.stdout.trim()} is older than 11.19`).toBe(true);
}, 300_000);

afterAll(async () => {
  await registry?.close();
  rmSync(workDir, { recursive: true, force: true });
});

let projects = 0;
/**
 * A scratch project that has already decided, as README.md tells users to, about the one install script the
 * Temporal SDK brings with it (protobufjs 7's postinstall, which only prints a notice): denied. What is left to
 * decide is this package's own script.
 */
function project(npmrc?: string): string {
  const dir = npm.project(`app-${++projects}`, {
    name: `app-${projects}`,
    version: '1.0.0',
    private: true,
    allowScripts: { protobufjs: false },
  });
  if (npmrc !== undefined) writeFileSync(join(dir, '.npmrc'), npmrc);
  return dir;
}

/** Runs a command that must succeed, with its output in the failure message. */
async function ok(cwd: string, command: string, ...args: string[]): Promise<CommandResult> {
  const result = await npm.run(cwd, command, args);
  expect(result.code, `${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`).toBe(0);
  return result;
}

/** What `aeadBackend()` reports in that project: the check README.md tells users to run. */
async function backend(cwd: string): Promise<string> {
  const check = "import('temporal-vault-codec/codec').then((m) => console.log(m.aeadBackend().name))";
  return (await ok(cwd, 'node', '-e', check)).stdout.trim();
}

function allowScripts(cwd: string): unknown {
  return (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { allowScripts?: unknown }).allowScripts;
}

const moduleFile = (cwd: string): string =>
  join(cwd, 'node_modules', 'temporal-vault-codec', 'native', 'build', 'aead.node');

describe('the install script under npm 11', () => {
  it('runs by default although npm reports it as not yet covered; approving it silences the notice', async () => {
    const dir = project();
    const installed = await ok(dir, 'npm', 'install', 'temporal-vault-codec');
    expect(installed.stderr).toContain('not yet covered by allowScripts');
    expect(installed.stderr).toContain(`temporal-vault-codec@${pkg.version} (install: node scripts/build-native.mjs)`);
    expect(await backend(dir)).toBe('native');

    await ok(dir, 'npm', 'install-scripts', 'approve', 'temporal-vault-codec');
    expect(allowScripts(dir)).toEqual({ protobufjs: false, [`temporal-vault-codec@${pkg.version}`]: true });
    rmSync(join(dir, 'node_modules'), { recursive: true });
    const again = await ok(dir, 'npm', 'ci');
    expect(again.stderr).not.toContain('allowScripts');
    expect(await backend(dir)).toBe('native');
  });

  it('with strict-allow-scripts, fails until package.json allows it; install-scripts approve cannot before install', async () => {
    const dir = project('strict-allow-scripts=true\n');
    const refused = await npm.run(dir, 'npm', ['install', 'temporal-vault-codec']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('ESTRICTALLOWSCRIPTS');
    expect(existsSync(join(dir, 'node_modules', 'temporal-vault-codec'))).toBe(false);
    expect((await npm.run(dir, 'npm', ['install-scripts', 'approve', 'temporal-vault-codec'])).code).not.toBe(0);

    await ok(dir, 'npm', 'pkg', 'set', 'allowScripts.temporal-vault-codec=true', '--json');
    await ok(dir, 'npm', 'install', 'temporal-vault-codec');
    expect(await backend(dir)).toBe('native');
  });

  it('installed without scripts, runs on node:crypto; approving builds nothing, npm rebuild builds the module', async () => {
    const dir = project();
    await ok(dir, 'npm', 'install', '--ignore-scripts', 'temporal-vault-codec');
    expect(await backend(dir)).toBe('node:crypto');
    await ok(dir, 'npm', 'install-scripts', 'approve', 'temporal-vault-codec');
    expect(existsSync(moduleFile(dir))).toBe(false);
    expect(await backend(dir)).toBe('node:crypto');
    await ok(dir, 'npm', 'rebuild', 'temporal-vault-codec');
    expect(await backend(dir)).toBe('native');
  });

  it('denied in package.json, installs without a notice and runs on node:crypto, strict mode included', async () => {
    const dir = project('strict-allow-scripts=true\n');
    await ok(dir, 'npm', 'pkg', 'set', 'allowScripts.temporal-vault-codec=false', '--json');
    const installed = await ok(dir, 'npm', 'install', 'temporal-vault-codec');
    expect(installed.stderr).not.toContain('allowScripts');
    expect(existsSync(moduleFile(dir))).toBe(false);
    expect(await backend(dir)).toBe('node:crypto');
  });
});

describeReadmeProject(() => ({ pkg, npm, ok }));
