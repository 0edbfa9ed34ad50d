import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { buildAad, copyDerivedKey, deriveKey, openSealed, zeroDerivedKey, type DerivedKey } from './aes-gcm.js';
import { DecryptKeyCache } from './decrypt-key-cache.js';
import { CodecError, ERROR_CODES } from './errors.js';
import type { KeyProvider } from './keys/key-provider.js';
import { assertNamespace } from './keys/key-id.js';
import { assertPayload, assertPayloadArray, toCodecError } from './payload-checks.js';
import { deserializePayload } from './payload-proto.js';
import { sealPayload } from './seal-payload.js';
import { SealingSessions, type SealingSession } from './sealing-sessions.js';
import { FORMAT_IDS, MAX_PAYLOADS_PER_DERIVED_KEY, V1_LAYOUT } from './types.js';
import { HeaderReader, isEncrypted, isStorageReference, type EncryptedHeader } from './wire-format.js';

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
 * was turned on). External Storage references pass through both directions unchanged: with
 * `payloadCodecs: [codec]` and `externalStorage`, the SDK seals first and stores the sealed payload, so the blob in
 * the bucket is ciphertext and only the reference travels. Input payloads are never mutated. On a warm cache neither direction does I/O or key derivation.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly #namespace: string;
  readonly #provider: KeyProvider;
  readonly #sessions: SealingSessions;
  readonly #decryptKeys: DecryptKeyCache;
  readonly #headers = new HeaderReader();
  readonly #aads = new Map<string, Buffer>();
  readonly #keyIds = new Map<string, string>();
  #lastAad: { namespace: string; keyId: string; version: number; aad: Buffer } | undefined;

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
    this.#sessions = new SealingSessions(maxUses, (namespace, keyId, version) => this.#aad(namespace, keyId, version));
    this.#decryptKeys = new DecryptKeyCache({
      maxEntries: options.decryptKeyCacheSize ?? 1024,
      maxAgeMs: options.decryptKeyMaxAgeMs ?? 300_000,
    });
  }

  /** The namespace used when no serialization context is given. */
  get namespace(): string {
    return this.#namespace;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    assertPayloadArray(payloads);
    if (payloads.length === 0) return [];
    const namespace = this.#resolveNamespace(context);
    let session = this.#sessions.reuse(
      namespace,
      this.#provider.currentEncryptionRef?.(namespace, payloads.length),
      payloads.length,
    );
    if (session === undefined) {
      const material = await this.#provider.encryptionKey(namespace, payloads.length);
      // No await from here to the end of the loop: a session replaced by another batch is zeroed at once, so it
      // must never be held across a suspension point.
      session = this.#sessions.install(namespace, material, payloads.length);
      this.#decryptKeys.set(session.ref, copyDerivedKey(session.key));
    }
    return this.#sealAll(session, payloads);
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    assertPayloadArray(payloads);
    const namespace = this.#resolveNamespace(context);
    const out = new Array<Payload>(payloads.length);
    let pending: Array<Promise<void>> | undefined;
    for (let i = 0; i < payloads.length; i++) {
      const result = this.#decodeOne(namespace, payloads[i]);
      if (result instanceof Promise) {
        (pending ??= []).push(result.then((payload) => void (out[i] = payload)));
      } else {
        out[i] = result;
      }
    }
    if (pending !== undefined) await Promise.all(pending);
    return out;
  }

  /**
   * Decodes each payload independently: one that fails does not hide the others. Used by the codec server, which
   * must answer for every payload of a request.
   */
  async decodeSettled(payloads: Payload[], context?: SerializationContext): Promise<DecodeResult[]> {
    assertPayloadArray(payloads);
    const namespace = this.#resolveNamespace(context);
    const results = new Array<DecodeResult>(payloads.length);
    let pending: Array<Promise<void>> | undefined;
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i];
      try {
        const decoded = this.#decodeOne(namespace, payload);
        if (decoded instanceof Promise) {
          (pending ??= []).push(
            decoded.then(
              (value) => void (results[i] = this.#settled(value, payload)),
              (err: unknown) => void (results[i] = { ok: false, error: toCodecError(err) }),
            ),
          );
        } else {
          results[i] = this.#settled(decoded, payload);
        }
      } catch (err) {
        results[i] = { ok: false, error: toCodecError(err) };
      }
    }
    if (pending !== undefined) await Promise.all(pending);
    return results;
  }

  /**
   * Fetches the namespace's newest key now and derives its sealing key, so that the worker starts only if its key
   * source answers, and a later key-source outage finds the key in memory (a worker must be able to encrypt the
   * failure of a task it could not run).
   *
   * @throws CodecError from the key provider, e.g. ERR_KEY_SOURCE_UNAVAILABLE or ERR_UNKNOWN_KEY.
   */
  async warmUp(context?: SerializationContext): Promise<void> {
    const namespace = this.#resolveNamespace(context);
    const material = await this.#provider.encryptionKey(namespace, 1);
    const session = this.#sessions.install(namespace, material, 0);
    this.#decryptKeys.set(session.ref, copyDerivedKey(session.key));
  }

  /** Zeroes every derived key held by this codec. */
  close(): void {
    this.#sessions.clear();
    this.#decryptKeys.clear();
  }

  #sealAll(session: SealingSession, payloads: Payload[]): Payload[] {
    const out = new Array<Payload>(payloads.length);
    const { key, aad, nonces, metadata } = session;
    for (let i = 0; i < payloads.length; i++) {
      const payload = assertPayload(payloads[i]);
      // A storage reference names a blob this codec sealed before it was stored; the storage layer must read it.
      out[i] = isStorageReference(payload)
        ? payload
        : { metadata: metadata(), data: sealPayload(key, aad, payload, nonces) };
    }
    return out;
  }

  /** Opens one payload: synchronously when its key is in memory, else after fetching it. Throws CodecErrors. */
  #decodeOne(namespace: string, payload: Payload | undefined): Payload | Promise<Payload> {
    const input = assertPayload(payload);
    if (!isEncrypted(input)) return input;
    const header = this.#headers.read(input);
    if (header.keyId !== this.#keyIdFor(namespace)) {
      throw new CodecError(ERROR_CODES.namespaceMismatch, 'Payload was encrypted for another namespace', {
        context: { namespace, keyId: header.keyId, version: header.version },
      });
    }
    const data = input.data ?? new Uint8Array(0);
    if (data.length < V1_LAYOUT.minimum) {
      throw new CodecError(
        ERROR_CODES.truncated,
        `Encrypted data is ${data.length} bytes, shorter than the ${V1_LAYOUT.minimum}-byte minimum`,
        {
          context: { field: 'data', keyId: header.keyId, version: header.version },
        },
      );
    }
    const cached = this.#decryptKeys.get(header, data);
    const aad = this.#aad(namespace, header.keyId, header.version);
    if (cached !== undefined) return deserializePayload(openSealed(cached, aad, data));
    return this.#openWithFetchedKey(namespace, header, aad, data);
  }

  async #openWithFetchedKey(
    namespace: string,
    header: EncryptedHeader,
    aad: Buffer,
    data: Uint8Array,
  ): Promise<Payload> {
    const material = await this.#provider.decryptionKey(namespace, header);
    let key: DerivedKey;
    try {
      key = deriveKey(material.key, data.subarray(0, V1_LAYOUT.salt), header.keyId, header.version);
    } finally {
      material.key.fill(0);
    }
    let plaintext: Buffer;
    try {
      plaintext = openSealed(key, aad, data);
    } catch (err) {
      zeroDerivedKey(key);
      throw err;
    }
    // Only keys that opened a payload are cached: forged salts cannot fill the cache.
    this.#decryptKeys.set(header, key);
    return deserializePayload(plaintext);
  }

  /** A successful result, with the header of the input when it was encrypted (the audit log names key versions). */
  #settled(decoded: Payload, input: Payload | undefined): DecodeResult {
    if (decoded === input || input === undefined) return { ok: true, payload: decoded };
    return { ok: true, payload: decoded, header: this.#headers.read(input) };
  }

  #resolveNamespace(context: SerializationContext | undefined): string {
    const namespace = context?.namespace ?? this.#namespace;
    if (namespace !== this.#namespace) assertNamespace(namespace);
    return namespace;
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
    const last = this.#lastAad;
    if (last !== undefined && last.namespace === namespace && last.keyId === keyId && last.version === version) {
      return last.aad;
    }
    const aad = this.#aadFromMap(namespace, keyId, version);
    this.#lastAad = { namespace, keyId, version, aad };
    return aad;
  }

  #aadFromMap(namespace: string, keyId: string, version: number): Buffer {
    const cacheKey = `${namespace}\u0000${keyId}\u0000${version}`;
    let aad = this.#aads.get(cacheKey);
    if (aad === undefined) {
      // Bounded: forged versions reach here before authentication fails, so cap the map.
      if (this.#aads.size >= 4096) this.#aads.clear();
      aad = buildAad(FORMAT, namespace, keyId, version);
      this.#aads.set(cacheKey, aad);
    }
    return aad;
  }
}
