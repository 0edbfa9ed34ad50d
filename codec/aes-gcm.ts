import { hkdfSync, randomBytes } from 'node:crypto';
import type { AeadEngine, AeadKey } from './aead/engine.js';
import { CodecError, ERROR_CODES } from './errors.js';
import { ROOT_KEY_BYTES, V1_LAYOUT } from './types.js';

/**
 * The cryptography of wire format v1, and nothing else: no I/O, no key sourcing, no metadata. See
 * `docs/wire-format.md` for the construction and its test vectors. AES-GCM itself runs in the engine each derived
 * key was made with (`aead/`: node:crypto or the native module); the bytes are the same either way.
 */

const DERIVE_LABEL = Buffer.from('tvc1-derive', 'ascii');
const AAD_LABEL = Buffer.from('tvc1-aad', 'ascii');

/** A per-salt AES key and its commitment, derived from one key version. */
export interface DerivedKey {
  readonly salt: Buffer;
  /** 32-byte AES-256-GCM key. */
  readonly encryptionKey: Buffer;
  /** 32-byte value stored in the payload; a different root key gives a different commitment. */
  readonly commitment: Buffer;
  /** The 64 derived bytes that both fields view; zeroed by {@link zeroDerivedKey}. */
  readonly material: Buffer;
  /** The engine's key for `encryptionKey`; disposed by {@link zeroDerivedKey}. */
  readonly cipher: AeadKey;
  /** The engine the key was made with; copies use it too. */
  readonly engine: AeadEngine;
}

function lengthPrefixed(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

/**
 * HKDF-SHA256(ikm = root key, salt, info = "tvc1-derive" || lp16(keyId) || u32(version), L = 64): the first 32 bytes
 * are the AES key, the last 32 the key commitment. `engine` seals and opens with the AES key.
 */
export function deriveKey(
  rootKey: Uint8Array,
  salt: Uint8Array,
  keyId: string,
  version: number,
  engine: AeadEngine,
): DerivedKey {
  if (rootKey.length !== ROOT_KEY_BYTES) {
    throw new CodecError(ERROR_CODES.invalidKeyMaterial, `Key material must be ${ROOT_KEY_BYTES} bytes`, {
      context: { keyId, version },
    });
  }
  const info = Buffer.concat([DERIVE_LABEL, lengthPrefixed(keyId), u32(version)]);
  return fromMaterial(Buffer.from(salt), Buffer.from(hkdfSync('sha256', rootKey, salt, info, 64)), engine);
}

/** An independent copy of `key`, with its own buffers and engine key, for a cache with its own lifetime. */
export function copyDerivedKey(key: DerivedKey): DerivedKey {
  return fromMaterial(key.salt, Buffer.from(key.material), key.engine);
}

function fromMaterial(salt: Buffer, material: Buffer, engine: AeadEngine): DerivedKey {
  const encryptionKey = material.subarray(0, 32);
  return Object.freeze({
    salt,
    encryptionKey,
    commitment: material.subarray(32, 64),
    material,
    cipher: engine.createKey(encryptionKey),
    engine,
  });
}

/**
 * Overwrites the derived key's secret bytes (the commitment shares their buffer) and disposes its engine key, after
 * which sealing or opening with the key throws instead of using a zeroed key.
 */
export function zeroDerivedKey(key: DerivedKey): void {
  key.material.fill(0);
  key.cipher.dispose();
}

/** Authenticated data: "tvc1-aad" || lp16(format) || lp16(namespace) || lp16(keyId) || u32(version). */
export function buildAad(format: string, namespace: string, keyId: string, version: number): Buffer {
  return Buffer.concat([
    AAD_LABEL,
    lengthPrefixed(format),
    lengthPrefixed(namespace),
    lengthPrefixed(keyId),
    u32(version),
  ]);
}

/**
 * The nonces of one derived key: a random 96-bit base XOR a 32-bit counter in its last four bytes, the construction
 * of TLS 1.3 (RFC 8446, section 5.3). Distinct for 2^32 payloads, and a derived key seals at most 2^24; no random
 * draw per payload.
 */
export class NonceSequence {
  readonly #base: Buffer;
  #next = 0;

  constructor(base: Uint8Array = randomBytes(V1_LAYOUT.nonce)) {
    if (base.length !== V1_LAYOUT.nonce) throw new RangeError(`nonce base must be ${V1_LAYOUT.nonce} bytes`);
    this.#base = Buffer.from(base);
  }

  /** Writes the next nonce into `out` at `offset`. */
  write(out: Uint8Array, offset: number): void {
    const counter = this.#next;
    if (counter > 0xffffffff) throw new RangeError('nonce sequence exhausted');
    this.#next = counter + 1;
    out.set(this.#base, offset);
    const last = offset + V1_LAYOUT.nonce - 4;
    out[last] = out[last]! ^ (counter >>> 24);
    out[last + 1] = out[last + 1]! ^ ((counter >>> 16) & 0xff);
    out[last + 2] = out[last + 2]! ^ ((counter >>> 8) & 0xff);
    out[last + 3] = out[last + 3]! ^ (counter & 0xff);
  }
}

/** Bytes of a sealed payload whose plaintext is `plaintextLength` bytes. */
export function sealedLength(plaintextLength: number): number {
  return V1_LAYOUT.header + plaintextLength + V1_LAYOUT.tag;
}

/**
 * Seals `head || body` in place into `out` (of {@link sealedLength} bytes), which becomes
 * `salt || commitment || nonce || ciphertext || tag`. The caller has written the head (`headLength` bytes, the
 * serialized payload before its data) at offset {@link V1_LAYOUT.header}; `body` (the payload's data) is never
 * joined to it in a buffer of its own. `nonce` is the key's sequence, or fixed bytes for test vectors.
 */
export function seal(
  key: DerivedKey,
  aad: Uint8Array,
  out: Buffer,
  headLength: number,
  body: Uint8Array,
  nonce: NonceSequence | Uint8Array,
): Buffer {
  const plaintextLength = headLength + body.length;
  if (out.length !== sealedLength(plaintextLength)) throw new RangeError('seal: output buffer has the wrong length');
  out.set(key.salt, 0);
  out.set(key.commitment, V1_LAYOUT.salt);
  const nonceOffset = V1_LAYOUT.salt + V1_LAYOUT.commitment;
  if (nonce instanceof NonceSequence) nonce.write(out, nonceOffset);
  else out.set(nonce, nonceOffset);
  key.cipher.seal(out, headLength, body, aad);
  return out;
}

/**
 * Checks the key commitment, then decrypts and authenticates `salt || commitment || nonce || ciphertext || tag`.
 * Every failure is `ERR_DECRYPTION_FAILED` with no detail, so an attacker learns nothing from the error.
 * Precondition: the length was checked (at least {@link V1_LAYOUT.minimum} bytes) and `key` was derived from this
 * payload's salt.
 */
export function openSealed(key: DerivedKey, aad: Uint8Array, data: Uint8Array): Buffer {
  // Branch-free comparison without building a view. The commitment is not secret (it is stored in every payload of
  // the salt), but a data-independent loop costs nothing.
  const commitment = key.commitment;
  let difference = 0;
  for (let i = 0; i < V1_LAYOUT.commitment; i++) difference |= commitment[i]! ^ data[V1_LAYOUT.salt + i]!;
  if (difference !== 0) throw decryptionFailed();
  const plaintext = key.cipher.open(data, aad);
  if (plaintext === undefined) throw decryptionFailed();
  return plaintext;
}

function decryptionFailed(): CodecError {
  return new CodecError(ERROR_CODES.decryptionFailed, 'Decryption failed');
}
