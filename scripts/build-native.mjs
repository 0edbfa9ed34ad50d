#!/usr/bin/env node
/**
 * Compiles the optional native AES-256-GCM module (`native/aead.c`) into `native/build/aead.node`.
 *
 * The module links against the OpenSSL that Node itself carries (its headers ship with Node in `include/node`), so
 * it needs only a C compiler: no download, no node-gyp, no other library. Without a compiler, without Node's
 * headers, on Windows, or with `TEMPORAL_CODEC_NATIVE_BUILD=off`, nothing is built and the codec uses node:crypto; the
 * install never fails because of this module. The codec checks the module against node:crypto before using it.
 *
 * The module is linked with immediate binding (`-z now`): a symbol missing from the running Node's OpenSSL fails
 * the load, and the codec falls back to node:crypto, instead of ending the process at the first payload. The Node it
 * was built for (version, ABI, OpenSSL, platform) is recorded next to it in `aead.json`; a different Node rebuilds
 * it, whatever the timestamps say, and the codec does not load a module recorded for another Node.
 *
 * Usage: `node scripts/build-native.mjs [--force]` (run by `npm install`; skips work when the build is up to date).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(projectRoot, 'native', 'aead.c');
const output = join(projectRoot, 'native', 'build', 'aead.node');
const record = join(projectRoot, 'native', 'build', 'aead.json');
/** The Node this build is for; `codec/native-aead.ts` compares the same fields at load. */
const target = {
  node: process.versions.node,
  modules: process.versions.modules,
  napi: process.versions.napi,
  openssl: process.versions.openssl,
  platform: process.platform,
  arch: process.arch,
};

function skip(reason) {
  console.warn(`native AES-GCM module not built (${reason}); the codec uses node:crypto`);
  process.exit(0);
}

/**
 * Node's headers: `TEMPORAL_CODEC_NODE_HEADERS` when set (and nothing else then), else `<prefix>/include/node` next to
 * the running binary or at the prefix Node was configured with.
 */
function nodeHeaders() {
  const override = process.env.TEMPORAL_CODEC_NODE_HEADERS;
  const candidates = override
    ? [override]
    : [
        join(dirname(process.execPath), '..', 'include', 'node'),
        process.config.variables.node_prefix && join(process.config.variables.node_prefix, 'include', 'node'),
      ];
  return candidates.find((dir) => dir && existsSync(join(dir, 'node_api.h')));
}

if (process.env.TEMPORAL_CODEC_NATIVE_BUILD === 'off') skip('TEMPORAL_CODEC_NATIVE_BUILD=off');
if (process.platform === 'win32') skip('not supported on Windows');
if (!existsSync(source)) skip('no source');
/** Why the module must be (re)built, or undefined when the one there is current. */
function staleReason() {
  if (!existsSync(output)) return 'not built yet';
  if (statSync(output).mtimeMs < statSync(source).mtimeMs) return 'source changed';
  let built;
  try {
    built = JSON.parse(readFileSync(record, 'utf8'));
  } catch {
    return 'no record of the Node it was built for';
  }
  const changed = Object.keys(target).filter((field) => built?.[field] !== target[field]);
  return changed.length === 0 ? undefined : `built for another Node (${changed.join(', ')} changed)`;
}

const reason = process.argv.includes('--force') ? 'forced' : staleReason();
if (reason === undefined) process.exit(0);
if (existsSync(output)) console.warn(`native AES-GCM module: rebuilding (${reason})`);

const headers = nodeHeaders();
if (headers === undefined) skip("Node's headers not found");
// A Node with its own OpenSSL ships that version's headers; one linked against the system's uses the system's.
const sharedOpenssl = process.config.variables.node_shared_openssl === true;
if (!sharedOpenssl && !existsSync(join(headers, 'openssl', 'evp.h'))) skip("Node's OpenSSL headers not found");

const compiler = process.env.CC || 'cc';
const flags = [
  '-std=c11',
  '-O2',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-fstack-protector-strong',
  '-D_FORTIFY_SOURCE=2',
  '-Wall',
  '-Wextra',
  '-DNAPI_VERSION=8',
  `-I${headers}`,
  // Symbols resolve against the running Node, as for any Node addon: all of them at load (`-z now`), so that one Node
  // lacks fails the load (and the codec uses node:crypto) instead of ending the process at its first call.
  ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : ['-Wl,-z,now']),
];
mkdirSync(dirname(output), { recursive: true });
const partial = `${output}.${process.pid}.tmp`;
const result = spawnSync(compiler, [...flags, source, '-o', partial], { stdio: ['ignore', 'inherit', 'inherit'] });
if (result.error !== undefined || result.status !== 0) {
  rmSync(partial, { force: true });
  skip(
    result.error !== undefined ? `${compiler}: ${result.error.message}` : `${compiler} exited with ${result.status}`,
  );
}
renameSync(partial, output);
writeFileSync(`${record}.${process.pid}.tmp`, `${JSON.stringify(target, null, 2)}\n`);
renameSync(`${record}.${process.pid}.tmp`, record);
