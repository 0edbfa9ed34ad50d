import { createCipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodecError, ERROR_CODES } from './errors.js';
import { V1_LAYOUT } from './types.js';

/**
 * The optional native AES-256-GCM module (`native/aead.c`): one OpenSSL context per derived key, so a payload costs
 * its encryption and not a new cipher context. It is found next to the package, checked against node:crypto on a
 * known answer before first use, and skipped (the codec then uses node:crypto) when absent or wrong.
 *
 * `TEMPORAL_CODEC_NATIVE`: `auto` (default) uses the module when it loads and passes its check; `off` never loads
 * it; `require` throws at first use when it is not usable, for deployments that must not run without it.
 */

declare const handleBrand: unique symbol;
/** An OpenSSL cipher context keyed with one derived key; opaque to JavaScript. */
export type NativeKeyHandle = { readonly [handleBrand]: true };

export interface NativeAead {
  createKey(key: Uint8Array): NativeKeyHandle;
  /** Frees the context (OpenSSL wipes the key schedule); later calls with the handle throw. */
  disposeKey(handle: NativeKeyHandle): void;
  /** Encrypts `out`'s head in place and `body` after it; the nonce is read from `out`, the tag written to its end. */
  seal(handle: NativeKeyHandle, out: Uint8Array, headLength: number, body: Uint8Array, aad: Uint8Array): void;
  /** Decrypts sealed `data` into `out`; false (and `out` wiped) when authentication fails. */
  open(handle: NativeKeyHandle, data: Uint8Array, aad: Uint8Array, out: Uint8Array): boolean;
  readonly headerBytes: number;
}

/** Which implementation seals and opens payloads in this process. */
export interface AeadBackend {
  readonly name: 'native' | 'node:crypto';
  /** Why the native module is not in use, when it is not. */
  readonly reason?: string;
}

const PACKAGE_NAME = 'temporal-vault-codec';
const MODULE_PATH = join('native', 'build', 'aead.node');

/**
 * The module's path in this package: the nearest directory above this file with a `package.json` must be this
 * package's root (so sources, `dist/` and other build folders all find it, and nothing outside the package is loaded).
 */
function modulePath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      return name === PACKAGE_NAME ? join(dir, MODULE_PATH) : undefined;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Seals a fixed input with the module and with node:crypto: both must give the same bytes, and open must check. */
function checkKnownAnswer(aead: NativeAead): string | undefined {
  if (aead.headerBytes !== V1_LAYOUT.header) return 'layout mismatch';
  const key = Buffer.alloc(32, 0x4b);
  const nonce = Buffer.alloc(V1_LAYOUT.nonce, 0x4e);
  const aad = Buffer.from('tvc1-aad known answer');
  const head = Buffer.from('head');
  const body = Buffer.alloc(100, 0x62);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
  const expected = Buffer.concat([cipher.update(head), cipher.update(body), cipher.final(), cipher.getAuthTag()]);

  const handle = aead.createKey(key);
  try {
    const out = Buffer.alloc(V1_LAYOUT.header + head.length + body.length + V1_LAYOUT.tag);
    nonce.copy(out, V1_LAYOUT.salt + V1_LAYOUT.commitment);
    head.copy(out, V1_LAYOUT.header);
    aead.seal(handle, out, head.length, body, aad);
    if (!out.subarray(V1_LAYOUT.header).equals(expected)) return 'sealed bytes differ from node:crypto';
    const opened = Buffer.alloc(head.length + body.length);
    if (!aead.open(handle, out, aad, opened) || !opened.equals(Buffer.concat([head, body]))) return 'open failed';
    out[out.length - 1] = out[out.length - 1]! ^ 1;
    if (aead.open(handle, out, aad, opened) || opened.some((byte) => byte !== 0)) return 'forgery accepted';
    return undefined;
  } finally {
    aead.disposeKey(handle);
  }
}

function load(): { aead?: NativeAead; backend: AeadBackend } {
  const mode = process.env.TEMPORAL_CODEC_NATIVE || 'auto';
  if (mode !== 'auto' && mode !== 'off' && mode !== 'require') {
    throw new CodecError(
      ERROR_CODES.invalidConfig,
      `TEMPORAL_CODEC_NATIVE must be auto, off or require, not ${JSON.stringify(mode)}`,
    );
  }
  if (mode === 'off') return { backend: { name: 'node:crypto', reason: 'TEMPORAL_CODEC_NATIVE=off' } };
  const reason = tryLoad();
  if (typeof reason !== 'string') return { aead: reason, backend: { name: 'native' } };
  if (mode === 'require') {
    throw new CodecError(ERROR_CODES.invalidConfig, `TEMPORAL_CODEC_NATIVE=require, but ${reason}`);
  }
  return { backend: { name: 'node:crypto', reason } };
}

/** The checked module, or why there is none. */
function tryLoad(): NativeAead | string {
  const path = modulePath();
  if (path === undefined || !existsSync(path)) {
    return `${MODULE_PATH} not found (npm install builds it when a C compiler is present)`;
  }
  let aead: NativeAead;
  try {
    aead = createRequire(import.meta.url)(path) as NativeAead;
  } catch (error) {
    return `cannot load ${MODULE_PATH}: ${(error as Error).message}`;
  }
  let failure: string | undefined;
  try {
    failure = checkKnownAnswer(aead);
  } catch (error) {
    failure = (error as Error).message;
  }
  return failure === undefined ? aead : `${MODULE_PATH} failed its check against node:crypto: ${failure}`;
}

let loaded: ReturnType<typeof load> | undefined;

/** The native module when usable, else undefined. Loaded and checked once, on first use. */
export function nativeAead(): NativeAead | undefined {
  loaded ??= load();
  return loaded.aead;
}

/** The implementation in use (loads the native module if that has not happened yet). */
export function aeadBackend(): AeadBackend {
  loaded ??= load();
  return loaded.backend;
}
