import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeAead } from '../../codec/aead/native.js';

// The native module resolves its OpenSSL symbols against the running Node. Linked with immediate binding, a symbol
// that Node's OpenSSL lacks fails the load (the codec then uses node:crypto) instead of killing the process at the
// first payload. And a module built for another Node (version, ABI, OpenSSL) is rebuilt, whatever the timestamps say.
// Each case builds with the real build script, in a copy of the package's layout, never touching native/build/.

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'native-binding-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const linux = process.platform === 'linux';
const compiler = process.env.CC || 'cc';
const hasCompiler = spawnSync(compiler, ['--version']).status === 0;

/** A package root holding the build script and the C source, as an installed package does. */
function packageCopy(name: string): { dir: string; module: string; stamp: string } {
  const dir = join(work, name);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'native'), { recursive: true });
  copyFileSync(join(root, 'scripts', 'build-native.mjs'), join(dir, 'scripts', 'build-native.mjs'));
  copyFileSync(join(root, 'native', 'aead.c'), join(dir, 'native', 'aead.c'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'temporal-vault-codec', type: 'module' }));
  return { dir, module: join(dir, 'native', 'build', 'aead.node'), stamp: join(dir, 'native', 'build', 'aead.json') };
}

function build(dir: string, env: Record<string, string> = {}, ...args: string[]) {
  return spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs'), ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
}

describe.runIf(linux && hasCompiler)('native module: immediate symbol binding', () => {
  it('a module referencing a symbol Node lacks fails to load, and the codec falls back to node:crypto', () => {
    const pkg = packageCopy('missing-symbol');
    // The real source with one OpenSSL call renamed to a symbol no library defines, used only when sealing.
    const wrapper = join(work, 'cc-missing-symbol');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${compiler} -DEVP_CipherFinal_ex=tvc_missing_symbol_for_test "$@"\n`);
    chmodSync(wrapper, 0o755);
    const built = build(pkg.dir, { CC: wrapper }, '--force');
    expect(built.status).toBe(0);
    expect(existsSync(pkg.module)).toBe(true);

    const probe = `
      let m;
      try { m = require(${JSON.stringify(pkg.module)}); }
      catch (e) { console.log('refused at load: ' + e.message); process.exit(0); }
      console.log('loaded');
      const h = m.createKey(Buffer.alloc(32, 1));
      m.seal(h, Buffer.alloc(m.headerBytes + 4 + 16), 4, Buffer.alloc(0), Buffer.alloc(0));
      console.log('sealed');`;
    const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect({ status: run.status, signal: run.signal, stdout: run.stdout.trim() }).toMatchObject({
      status: 0,
      signal: null,
      stdout: expect.stringMatching(/^refused at load: .*tvc_missing_symbol_for_test/) as string,
    });

    // The codec's loader turns the refusal into a reason, and the codec keeps working on node:crypto.
    const loaded = loadNativeAead(pkg.module);
    expect(typeof loaded).toBe('string');
    expect(loaded as string).toMatch(/^cannot load .*tvc_missing_symbol_for_test/);
  });
});

describe.runIf(process.platform !== 'win32' && hasCompiler)('native module: rebuilt when Node changes', () => {
  it('records the Node it was built for next to the module, and rebuilds when that differs', () => {
    const pkg = packageCopy('abi');
    expect(build(pkg.dir).status).toBe(0);
    expect(JSON.parse(readFileSync(pkg.stamp, 'utf8'))).toEqual({
      node: process.versions.node,
      modules: process.versions.modules,
      napi: process.versions.napi,
      openssl: process.versions.openssl,
      platform: process.platform,
      arch: process.arch,
    });
    const first = statSync(pkg.module).mtimeMs;
    const again = build(pkg.dir);
    expect([again.status, again.stderr]).toEqual([0, '']);
    expect(statSync(pkg.module).mtimeMs).toBe(first);

    // Newer than its source, but built by another Node: rebuilt.
    const stamp = JSON.parse(readFileSync(pkg.stamp, 'utf8')) as Record<string, string>;
    writeFileSync(pkg.stamp, JSON.stringify({ ...stamp, node: '18.0.0', modules: '108' }));
    const rebuilt = build(pkg.dir);
    expect(rebuilt.status).toBe(0);
    expect(rebuilt.stderr).toContain('rebuilding');
    expect(statSync(pkg.module).mtimeMs).toBeGreaterThan(first);
    expect(JSON.parse(readFileSync(pkg.stamp, 'utf8'))).toMatchObject({ modules: process.versions.modules });

    // A module with no record (built before records existed) is rebuilt too.
    rmSync(pkg.stamp);
    const unknown = statSync(pkg.module).mtimeMs;
    expect(build(pkg.dir).status).toBe(0);
    expect(statSync(pkg.module).mtimeMs).toBeGreaterThan(unknown);
  });

  it('the codec does not load a module recorded as built for another Node', () => {
    const pkg = packageCopy('stale');
    expect(build(pkg.dir).status).toBe(0);
    expect(typeof loadNativeAead(pkg.module)).not.toBe('string');
    const stamp = JSON.parse(readFileSync(pkg.stamp, 'utf8')) as Record<string, string>;
    writeFileSync(pkg.stamp, JSON.stringify({ ...stamp, modules: '108', openssl: '1.1.1' }));
    expect(loadNativeAead(pkg.module)).toMatch(/built for another Node/);
  });
});
