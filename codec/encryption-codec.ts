import { randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { buildAad, deriveKey, NoncePool, open, seal, splitSealed, zeroDerivedKey, type DerivedKey } from './aes-gcm.js';
import { LruCache } from './cache/lru-cache.js';
import { CodecError, ERROR_CODES } from './errors.js';
import type { KeyMaterial, KeyProvider } from './keys/key-provider.js';
import { assertNamespace } from './keys/key-id.js';
import { deserializePayload, serializePayload } from './payload-proto.js';
import { FORMAT_IDS, MAX_PAYLOADS_PER_DERIVED_KEY, V1_LAYOUT, type KeyReference } from './types.js';
import { buildEncryptedMetadata, isEncrypted, readEncryptedHeader, type EncryptedHeader } from './wire-format.js';

/** Options of {@link EncryptionCodec}. */
export interface EncryptionCodecOptions {
  /** The namespace this codec serves when the SDK passes no serialization context. */
  readonly namespace: string;
  /** Where keys come from (usually a caching provider over Vault or the local keyring). */
  readonly keyProvider: KeyProvider;
  /** Payloads sealed under one derived key before a new salt is drawn. Default and maximum 2^24. */
  readonly maxPayloadsPerDerivedKey?: number;
  /** Derived decryption keys kept in memory. Default 1,024. */
  readonly decryptKeyCacheSize?: number;
  /** How long a derived decryption key is reused before its key version is asked for again. Default 5 min. */
  readonly decryptKeyMaxAgeMs?: number;
}

/** The key a namespace currently seals with. */
interface SealingSession {
  readonly ref: KeyReference;
  readonly key: DerivedKey;
  readonly aad: Buffer;
  readonly metadata: Readonly<Record<string, Uint8Array>>;
  uses: number;
}

/** The outcome of decoding one payload with {@link EncryptionCodec.decodeSettled}. */
export type DecodeResult = { ok: true; payload: Payload; header?: EncryptedHeader } | { ok: false; error: CodecError };

const FORMAT = FORMAT_IDS.v1;

/**
 * A Temporal `PayloadCodec` that seals each payload whole (metadata and data) with AES-256-GCM under the
 * namespace's newest key version, and opens payloads under the exact version they name.
 *
 * ```
 * payload --serialize--> bytes --AES-256-GCM(HKDF(key version, salt))--> {encoding: binary/encrypted, key id,
 *                                                                        key version, format} + sealed bytes
 * ```
 *
 * Payloads that are not `binary/encrypted` pass through `decode` unchanged (histories written before encryption
 * was turned on). Input payloads are never mutated.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly #namespace: string;
  readonly #provider: KeyProvider;
  readonly #maxUses: number;
  readonly #decryptMaxAgeMs: number;
  readonly #sessions = new Map<string, SealingSession>();
  readonly #decryptKeys: LruCache<string, DerivedKey>;
  readonly #aads = new Map<string, Buffer>();
  readonly #keyIds = new Map<string, string>();
  readonly #nonces = new NoncePool();

  constructor(options: EncryptionCodecOptions) {
    assertNamespace(options.namespace);
    if (typeof options.keyProvider?.encryptionKey !== 'function') {
      throw new CodecError(ERROR_CODES.invalidConfig, 'keyProvider is required');
    }
    const maxUses = options.maxPayloadsPerDerivedKey ?? MAX_PAYLOADS_PER_DERIVED_KEY;
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_PAYLOADS_PER_DERIVED_KEY) {
      throw new CodecError(
        ERROR_CODES.invalidConfig,
        `maxPayloadsPerDerivedKey must be an integer in 1..${MAX_PAYLOADS_PER_DERIVED_KEY}`,
      );
    }
    this.#namespace = options.namespace;
    this.#provider = options.keyProvider;
    this.#maxUses = maxUses;
    this.#decryptMaxAgeMs = options.decryptKeyMaxAgeMs ?? 300_000;
    this.#decryptKeys = new LruCache({ maxEntries: options.decryptKeyCacheSize ?? 1024, onEvict: zeroDerivedKey });
  }

  /** The namespace used when no serialization context is given. */
  get namespace(): string {
    return this.#namespace;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    assertPayloadArray(payloads);
    if (payloads.length === 0) return [];
    const namespace = this.#resolveNamespace(context);
    const material = await this.#provider.encryptionKey(namespace, payloads.length);
    // No await from here to the end of the loop: a session replaced by another batch is zeroed at once, so it must
    // never be held across a suspension point.
    const session = this.#session(namespace, material, payloads.length);
    const out = new Array<Payload>(payloads.length);
    for (let i = 0; i < payloads.length; i++) {
      const { prefix, body } = serializePayload(assertPayload(payloads[i]));
      out[i] = { metadata: { ...session.metadata }, data: seal(session.key, session.aad, prefix, body, this.#nonces) };
    }
    return out;
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const results = await this.decodeSettled(payloads, context);
    return results.map((result) => {
      if (!result.ok) throw result.error;
      return result.payload;
    });
  }

  /**
   * Decodes each payload independently: one that fails does not hide the others. Used by the codec server, which
   * must answer for every payload of a request.
   */
  async decodeSettled(payloads: Payload[], context?: SerializationContext): Promise<DecodeResult[]> {
    assertPayloadArray(payloads);
    const namespace = this.#resolveNamespace(context);
    const results = new Array<DecodeResult>(payloads.length);
    // Payloads whose key is in memory are opened synchronously; only cache misses wait for the key provider.
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < payloads.length; i++) {
      const result = this.#decodeOne(namespace, payloads[i]);
      if (result instanceof Promise) {
        pending.push(
          result.then((settled) => {
            results[i] = settled;
          }),
        );
      } else {
        results[i] = result;
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    return results;
  }

  /** Zeroes every derived key held by this codec. */
  close(): void {
    for (const session of this.#sessions.values()) zeroDerivedKey(session.key);
    this.#sessions.clear();
    this.#decryptKeys.clear();
  }

  #resolveNamespace(context: SerializationContext | undefined): string {
    const namespace = context?.namespace ?? this.#namespace;
    if (namespace !== this.#namespace) assertNamespace(namespace);
    return namespace;
  }

  #session(namespace: string, material: KeyMaterial, count: number): SealingSession {
    const current = this.#sessions.get(namespace);
    if (
      current !== undefined &&
      current.ref.keyId === material.keyId &&
      current.ref.version === material.version &&
      current.ref.wrappedKey === material.wrappedKey &&
      current.uses + count <= this.#maxUses
    ) {
      material.key.fill(0);
      current.uses += count;
      return current;
    }
    const ref: KeyReference = { keyId: material.keyId, version: material.version, wrappedKey: material.wrappedKey };
    let key: DerivedKey;
    try {
      key = deriveKey(material.key, randomBytes(V1_LAYOUT.salt), ref.keyId, ref.version);
    } finally {
      material.key.fill(0);
    }
    const session: SealingSession = {
      ref,
      key,
      aad: this.#aad(namespace, ref.keyId, ref.version),
      metadata: buildEncryptedMetadata(FORMAT, ref),
      uses: count,
    };
    // Batches seal synchronously once they hold a session (see encode), so the one replaced is in use by nobody.
    if (current !== undefined) zeroDerivedKey(current.key);
    this.#sessions.set(namespace, session);
    // The same process will often decode what it just sealed: let that hit memory.
    this.#decryptKeys.set(decryptCacheKey(ref, key.salt), deriveKeyCopy(key));
    return session;
  }

  #decodeOne(namespace: string, payload: Payload | undefined): DecodeResult | Promise<DecodeResult> {
    try {
      const input = assertPayload(payload);
      if (!isEncrypted(input)) return { ok: true, payload: input };
      const header = readEncryptedHeader(input);
      if (header.keyId !== this.#keyIdFor(namespace)) {
        throw new CodecError(ERROR_CODES.namespaceMismatch, 'Payload was encrypted for another namespace', {
          context: { namespace, keyId: header.keyId, version: header.version },
        });
      }
      const parts = splitSealed(input.data ?? new Uint8Array(0));
      const cacheKey = decryptCacheKey(header, parts.salt);
      const cached = this.#decryptKeys.get(cacheKey);
      if (cached !== undefined && Date.now() - cached.storedAt < this.#decryptMaxAgeMs) {
        return this.#open(namespace, header, cached.value, parts);
      }
      return this.#openWithFetchedKey(namespace, header, parts, cacheKey);
    } catch (err) {
      return { ok: false, error: toCodecError(err) };
    }
  }

  async #openWithFetchedKey(
    namespace: string,
    header: EncryptedHeader,
    parts: ReturnType<typeof splitSealed>,
    cacheKey: string,
  ): Promise<DecodeResult> {
    try {
      const material = await this.#provider.decryptionKey(namespace, header);
      let key: DerivedKey;
      try {
        key = deriveKey(material.key, parts.salt, header.keyId, header.version);
      } finally {
        material.key.fill(0);
      }
      const result = this.#open(namespace, header, key, parts);
      // Only keys that opened a payload are cached: a forged salt cannot fill the cache.
      if (result.ok) this.#decryptKeys.set(cacheKey, key);
      else zeroDerivedKey(key);
      return result;
    } catch (err) {
      return { ok: false, error: toCodecError(err) };
    }
  }

  #open(
    namespace: string,
    header: EncryptedHeader,
    key: DerivedKey,
    parts: ReturnType<typeof splitSealed>,
  ): DecodeResult {
    try {
      const plaintext = open(key, this.#aad(namespace, header.keyId, header.version), parts);
      return { ok: true, payload: deserializePayload(plaintext), header };
    } catch (err) {
      return { ok: false, error: toCodecError(err) };
    }
  }

  #keyIdFor(namespace: string): string {
    let keyId = this.#keyIds.get(namespace);
    if (keyId === undefined) {
      keyId = this.#provider.keyIdFor(namespace);
      if (this.#keyIds.size >= 1024) this.#keyIds.clear();
      this.#keyIds.set(namespace, keyId);
    }
    return keyId;
  }

  #aad(namespace: string, keyId: string, version: number): Buffer {
    const cacheKey = `${namespace}\u0000${keyId}\u0000${version}`;
    let aad = this.#aads.get(cacheKey);
    if (aad === undefined) {
      // Bounded by namespaces x key versions actually used; a forged version never opens and is never cached
      // by the key cache, but its AAD is cheap: cap the map anyway.
      if (this.#aads.size >= 4096) this.#aads.clear();
      aad = buildAad(FORMAT, namespace, keyId, version);
      this.#aads.set(cacheKey, aad);
    }
    return aad;
  }
}

function decryptCacheKey(ref: KeyReference, salt: Buffer): string {
  return `${ref.keyId}\u0000${ref.version}\u0000${ref.wrappedKey ?? ''}\u0000${salt.toString('latin1')}`;
}

function deriveKeyCopy(key: DerivedKey): DerivedKey {
  const material = Buffer.from(key.material);
  return Object.freeze({
    salt: key.salt,
    encryptionKey: material.subarray(0, 32),
    commitment: material.subarray(32, 64),
    material,
  });
}

function toCodecError(err: unknown): CodecError {
  if (err instanceof CodecError) return err;
  // Anything else is a bug; wrap it so callers still get a typed error, without echoing its message (it could
  // carry data).
  return new CodecError(ERROR_CODES.decryptionFailed, 'Decryption failed', { cause: err });
}

function assertPayloadArray(payloads: unknown): asserts payloads is Payload[] {
  if (!Array.isArray(payloads)) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'payloads must be an array', { context: { field: 'payloads' } });
  }
}

function assertPayload(payload: unknown): Payload {
  if (typeof payload !== 'object' || payload === null) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'payload must be an object', { context: { field: 'payload' } });
  }
  const { data, metadata } = payload as Payload;
  if (data !== undefined && data !== null && !(data instanceof Uint8Array)) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'payload.data must be a Uint8Array', {
      context: { field: 'data' },
    });
  }
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object') {
      throw new CodecError(ERROR_CODES.invalidArgument, 'payload.metadata must be an object', {
        context: { field: 'metadata' },
      });
    }
    for (const value of Object.values(metadata)) {
      if (!(value instanceof Uint8Array)) {
        throw new CodecError(ERROR_CODES.invalidArgument, 'payload.metadata values must be Uint8Arrays', {
          context: { field: 'metadata' },
        });
      }
    }
  }
  return payload;
}
