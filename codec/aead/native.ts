import { createCipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { V1_LAYOUT } from '../types.js';
import type { AeadEngine, AeadKey } from './engine.js';

/**
 * The optional native AES-256-GCM module (`native/aead.c`): one OpenSSL context per derived key, so a payload costs
 * its encryption and not a new cipher context. It is found next to the package, checked against node:crypto on a
 * known answer before first use, and not used (the codec then uses node:crypto) when absent or wrong.
 */

declare const handleBrand: unique symbol;
/** An OpenSSL cipher context keyed with one derived key; opaque to JavaScript. */
export type NativeKeyHandle = { readonly [handleBrand]: true };

/** The functions `native/aead.c` exports (see its comments for the exact contracts). */
export interface NativeAead {
  createKey(key: Uint8Array): NativeKeyHandle;
  /** Frees the context (OpenSSL wipes the key schedule); later calls with the handle throw. */
  disposeKey(handle: NativeKeyHandle): void;
  /** Encrypts `out`'s head in place and `body` after it; the nonce is read from `out`, the tag written to its end. */
  seal(handle: NativeKeyHandle, out: Uint8Array, headLength: number, body: Uint8Array, aad: Uint8Array): void;
  /** Decrypts sealed `data` into `out`; false (and `out` wiped) when authentication fails. */
  open(handle: NativeKeyHandle, data: Uint8Array, aad: Uint8Array, out: Uint8Array): boolean;
  /** Bytes before the ciphertext in the layout the module was compiled for; must equal `V1_LAYOUT.header`. */
  readonly headerBytes: number;
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
    if (existsSync(manifest)) return readsAsThisPackage(manifest) ? join(dir, MODULE_PATH) : undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readsAsThisPackage(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
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

/** The checked module, or why there is none. */
function tryLoad(): NativeAead | string {
  const path = modulePath();
  if (path === undefined || !existsSync(path)) {
    return `${MODULE_PATH} not found (npm install builds it when a C compiler is present)`;
  }
  return loadNativeAead(path);
}

/**
 * Loads the module at `path` and checks it against node:crypto: the module, or why it cannot be used. Internal
 * (the codec loads the package's own module); exported for the tests of the build.
 */
export function loadNativeAead(path: string): NativeAead | string {
  const mismatch = builtForAnotherNode(join(dirname(path), 'aead.json'));
  if (mismatch !== undefined) {
    return `${MODULE_PATH} was built for another Node (${mismatch}); rebuild it: node scripts/build-native.mjs`;
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

/** Fields of the build record (`scripts/build-native.mjs`) that must match the running Node for the module to load. */
const ABI_FIELDS = ['modules', 'openssl', 'platform', 'arch'] as const;

/**
 * The fields of the build record next to the module that name another Node, or undefined when they match or there
 * is no record (a module built by hand; the known-answer check still runs).
 */
function builtForAnotherNode(recordPath: string): string | undefined {
  if (!existsSync(recordPath)) return undefined;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(readFileSync(recordPath, 'utf8')) as Record<string, unknown>;
  } catch {
    return 'unreadable build record';
  }
  const running: Record<(typeof ABI_FIELDS)[number], string> = {
    modules: process.versions.modules,
    openssl: process.versions.openssl,
    platform: process.platform,
    arch: process.arch,
  };
  const changed = ABI_FIELDS.filter((field) => record[field] !== running[field]);
  return changed.length === 0 ? undefined : `${changed.join(', ')} differ`;
}

/** A derived key's OpenSSL context. */
class NativeKey implements AeadKey {
  readonly #aead: NativeAead;
  readonly #handle: NativeKeyHandle;

  constructor(aead: NativeAead, encryptionKey: Buffer) {
    this.#aead = aead;
    this.#handle = aead.createKey(encryptionKey);
  }

  seal(out: Buffer, headLength: number, body: Uint8Array, aad: Uint8Array): void {
    this.#aead.seal(this.#handle, out, headLength, body, aad);
  }

  open(data: Uint8Array, aad: Uint8Array): Buffer | undefined {
    const plaintext = Buffer.allocUnsafe(data.length - V1_LAYOUT.minimum);
    // On failure the module has already wiped `plaintext`: unauthenticated bytes never leave it.
    return this.#aead.open(this.#handle, data, aad, plaintext) ? plaintext : undefined;
  }

  dispose(): void {
    this.#aead.disposeKey(this.#handle);
  }
}

// A native module loads once per process whatever we do; remembering the outcome also runs the check only once.
let loaded: NativeAead | string | undefined;

/** The checked native module, or why it cannot be used; loaded and checked on the first call. */
export function loadNativeModule(): NativeAead | string {
  loaded ??= tryLoad();
  return loaded;
}

let engine: AeadEngine | undefined;

/** The engine over the checked native module, or why there is none. */
export function nativeEngine(): AeadEngine | string {
  const aead = loadNativeModule();
  if (typeof aead === 'string') return aead;
  engine ??= Object.freeze({
    name: 'native',
    createKey: (encryptionKey: Buffer): AeadKey => new NativeKey(aead, encryptionKey),
  });
  return engine;
}
