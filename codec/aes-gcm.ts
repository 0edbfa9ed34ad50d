import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync, timingSafeEqual } from 'node:crypto';
import { CodecError, ERROR_CODES } from './errors.js';
import { ROOT_KEY_BYTES, V1_LAYOUT } from './types.js';

/**
 * The cryptography of wire format v1, and nothing else: no I/O, no key sourcing, no metadata. See
 * `docs/wire-format.md` for the construction and its test vectors.
 */

const DERIVE_LABEL = Buffer.from('tvc1-derive', 'ascii');
const AAD_LABEL = Buffer.from('tvc1-aad', 'ascii');

/** Bodies up to this size are sealed with a single cipher update. */
const SMALL_BODY = 16 * 1024;

/** A per-salt AES key and its commitment, derived from one key version. */
export interface DerivedKey {
  readonly salt: Buffer;
  /** 32-byte AES-256-GCM key. */
  readonly encryptionKey: Buffer;
  /** 32-byte value stored in the payload; a different root key gives a different commitment. */
  readonly commitment: Buffer;
  /** The 64 derived bytes that both fields view; zeroed by {@link zeroDerivedKey}. */
  readonly material: Buffer;
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
 * are the AES key, the last 32 the key commitment.
 */
export function deriveKey(rootKey: Uint8Array, salt: Uint8Array, keyId: string, version: number): DerivedKey {
  if (rootKey.length !== ROOT_KEY_BYTES) {
    throw new CodecError(ERROR_CODES.invalidKeyMaterial, `Key material must be ${ROOT_KEY_BYTES} bytes`, {
      context: { keyId, version },
    });
  }
  const info = Buffer.concat([DERIVE_LABEL, lengthPrefixed(keyId), u32(version)]);
  const okm = Buffer.from(hkdfSync('sha256', rootKey, salt, info, 64));
  return Object.freeze({
    salt: Buffer.from(salt),
    encryptionKey: okm.subarray(0, 32),
    commitment: okm.subarray(32, 64),
    material: okm,
  });
}

/** Overwrites the derived key's secret bytes (the commitment shares their buffer). */
export function zeroDerivedKey(key: DerivedKey): void {
  key.material.fill(0);
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

/** Hands out random nonces from a pool refilled in bulk, so a payload costs no system call. */
export class NoncePool {
  readonly #pool = Buffer.allocUnsafe(V1_LAYOUT.nonce * 512);
  #offset = this.#pool.length;

  /** Writes a fresh random nonce into `out` at `offset`. */
  fill(out: Buffer, offset: number): void {
    if (this.#offset === this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    this.#pool.copy(out, offset, this.#offset, this.#offset + V1_LAYOUT.nonce);
    // Wipe what was handed out so the pool never holds a used nonce for a second reader.
    this.#pool.fill(0, this.#offset, this.#offset + V1_LAYOUT.nonce);
    this.#offset += V1_LAYOUT.nonce;
  }
}

/**
 * Seals `prefix || body` (the serialized payload, in two parts to avoid joining them first) into
 * `salt || commitment || nonce || ciphertext || tag`. `nonce` is used when given (test vectors), else drawn from
 * `nonces`.
 */
export function seal(
  key: DerivedKey,
  aad: Uint8Array,
  prefix: Uint8Array,
  body: Uint8Array,
  nonces: NoncePool,
  fixedNonce?: Uint8Array,
): Buffer {
  const plaintextLength = prefix.length + body.length;
  const out = Buffer.allocUnsafe(V1_LAYOUT.header + plaintextLength + V1_LAYOUT.tag);
  key.salt.copy(out, 0);
  key.commitment.copy(out, V1_LAYOUT.salt);
  const nonceOffset = V1_LAYOUT.salt + V1_LAYOUT.commitment;
  if (fixedNonce === undefined) nonces.fill(out, nonceOffset);
  else out.set(fixedNonce, nonceOffset);
  const nonce = out.subarray(nonceOffset, nonceOffset + V1_LAYOUT.nonce);
  const cipher = createCipheriv('aes-256-gcm', key.encryptionKey, nonce);
  cipher.setAAD(aad);
  let offset = V1_LAYOUT.header;
  if (body.length <= SMALL_BODY) {
    // One native call beats two for small payloads: join the parts in the output buffer's ciphertext slot first.
    const plaintext = out.subarray(offset, offset + plaintextLength);
    plaintext.set(prefix, 0);
    plaintext.set(body, prefix.length);
    offset += cipher.update(plaintext).copy(out, offset);
  } else {
    if (prefix.length > 0) offset += cipher.update(prefix).copy(out, offset);
    offset += cipher.update(body).copy(out, offset);
  }
  offset += cipher.final().copy(out, offset);
  cipher.getAuthTag().copy(out, offset);
  return out;
}

/** The fixed fields of a sealed payload, as views into it. */
export interface SealedParts {
  readonly salt: Buffer;
  readonly commitment: Buffer;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** Splits sealed data into its fields. Precondition: lengths are checked before any crypto runs. */
export function splitSealed(data: Uint8Array): SealedParts {
  if (data.length < V1_LAYOUT.minimum) {
    throw new CodecError(
      ERROR_CODES.truncated,
      `Encrypted data is ${data.length} bytes, shorter than the ${V1_LAYOUT.minimum}-byte minimum`,
      {
        context: { field: 'data' },
      },
    );
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const commitmentEnd = V1_LAYOUT.salt + V1_LAYOUT.commitment;
  return {
    salt: buf.subarray(0, V1_LAYOUT.salt),
    commitment: buf.subarray(V1_LAYOUT.salt, commitmentEnd),
    nonce: buf.subarray(commitmentEnd, V1_LAYOUT.header),
    ciphertext: buf.subarray(V1_LAYOUT.header, buf.length - V1_LAYOUT.tag),
    tag: buf.subarray(buf.length - V1_LAYOUT.tag),
  };
}

/**
 * Checks the key commitment, then decrypts and authenticates. Every failure is `ERR_DECRYPTION_FAILED` with no
 * detail, so an attacker learns nothing from the error.
 */
export function open(key: DerivedKey, aad: Uint8Array, parts: SealedParts): Buffer {
  if (!timingSafeEqual(key.commitment, parts.commitment)) throw decryptionFailed();
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.encryptionKey, parts.nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(parts.tag);
    plaintext = decipher.update(parts.ciphertext);
    decipher.final();
    return plaintext;
  } catch (cause) {
    // Unauthenticated plaintext never leaves this function, not even in memory we no longer own.
    plaintext?.fill(0);
    throw decryptionFailed(cause);
  }
}

/**
 * {@link open} straight from the sealed bytes, without building the intermediate views. Precondition: the length was
 * checked (at least {@link V1_LAYOUT.minimum} bytes) and `key` was derived from this payload's salt.
 */
export function openSealed(key: DerivedKey, aad: Uint8Array, data: Uint8Array): Buffer {
  const end = data.length - V1_LAYOUT.tag;
  // Branch-free comparison without building a view. The commitment is not secret (it is stored in every payload of
  // the salt), but a data-independent loop costs nothing.
  const commitment = key.commitment;
  let difference = 0;
  for (let i = 0; i < V1_LAYOUT.commitment; i++) difference |= commitment[i]! ^ data[V1_LAYOUT.salt + i]!;
  if (difference !== 0) throw decryptionFailed();
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key.encryptionKey,
      data.subarray(V1_LAYOUT.salt + V1_LAYOUT.commitment, V1_LAYOUT.header),
    );
    decipher.setAAD(aad);
    decipher.setAuthTag(data.subarray(end));
    plaintext = decipher.update(data.subarray(V1_LAYOUT.header, end));
    decipher.final();
    return plaintext;
  } catch (cause) {
    plaintext?.fill(0);
    throw decryptionFailed(cause);
  }
}

function decryptionFailed(cause?: unknown): CodecError {
  return new CodecError(ERROR_CODES.decryptionFailed, 'Decryption failed', { cause });
}
