#!/usr/bin/env node
/**
 * Compiles the optional native AES-256-GCM module (`native/aead.c`) into `native/build/aead.node`.
 *
 * The module links against the OpenSSL that Node itself carries (its headers ship with Node in `include/node`), so
 * it needs only a C compiler: no download, no node-gyp, no other library. Without a compiler, without Node's
 * headers, on Windows, or with `TEMPORAL_CODEC_NATIVE_BUILD=off`, nothing is built and the codec uses node:crypto; the
 * install never fails because of this module. The codec checks the module against node:crypto before using it.
 *
 * Usage: `node scripts/build-native.mjs [--force]` (run by `npm install`; skips work when the build is up to date).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(projectRoot, 'native', 'aead.c');
const output = join(projectRoot, 'native', 'build', 'aead.node');

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
const force = process.argv.includes('--force');
if (!force && existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

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
  // Symbols resolve against the running Node at load time, as for any Node addon.
  ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
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
