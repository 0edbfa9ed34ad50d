import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { defaultAeadEngine } from './aead/select.js';
import { buildAad, copyDerivedKey } from './aes-gcm.js';
import { DecryptKeyCache } from './decrypt-key-cache.js';
import { CodecError, ERROR_CODES } from './errors.js';
import type { EncryptionCodecOptions, PayloadResult } from './encryption-codec-options.js';
import type { KeyMaterial, KeyProvider, KeyScope } from './keys/key-provider.js';
import { assertNamespace } from './keys/key-id.js';
import { assertPayload, assertPayloadArray, toCodecError } from './payload-checks.js';
import { LookupBudget, Opener } from './opener.js';
import { isSamplesPayload } from './samples/samples-format.js';
import { checkSamplesProfile, samplesKeyId } from './samples/samples-profile.js';
import { sealPayload } from './seal-payload.js';
import { AllotmentCursor, Sealer, type Allotment } from './sealer.js';
import { FORMAT_IDS, MAX_PAYLOADS_PER_DERIVED_KEY } from './types.js';
import { UnencryptedPolicy } from './unencrypted-policy.js';
import { isStorageReference } from './wire-format.js';

export type { DecodeResult, EncryptionCodecOptions, PayloadResult } from './encryption-codec-options.js';

const FORMAT = FORMAT_IDS.v1;
/** Versions whose authenticated data is remembered; bounded because versions come from payloads. */
const MAX_AAD_MEMO = 4096;

/**
 * A Temporal `PayloadCodec` for one namespace that seals each payload whole (metadata and data) with AES-256-GCM
 * under the namespace's newest key version, and opens payloads under the exact version they name.
 *
 * ```
 * payload --serialize--> bytes --AES-256-GCM(HKDF(key version, salt))--> {encoding: binary/encrypted, key id,
 *                                                                        key version, format} + sealed bytes
 * ```
 *
 * The key scope (namespace, key id) is computed once, here. Payloads that are not `binary/encrypted` pass through
 * `decode` unchanged with `unencrypted: 'allow'` (the default, for histories written before encryption was turned
 * on) and fail with `ERR_UNENCRYPTED_PAYLOAD` with `'reject'`. External storage references pass through both ways
 * unchanged: with `payloadCodecs: [codec]` and `externalStorage`, the SDK seals first and stores the sealed payload,
 * so the blob in the bucket is ciphertext and only the reference travels. Input payloads are never mutated. On a
 * warm cache neither direction does I/O or key derivation.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly #scope: KeyScope;
  readonly #provider: KeyProvider;
  readonly #sealer: Sealer;
  readonly #decryptKeys: DecryptKeyCache;
  readonly #opener: Opener;
  readonly #aads = new Map<number, Buffer>();
  readonly #maxKeyLookups: number;

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
    const maxKeyLookups = options.maxKeyLookupsPerCall ?? 64;
    if (!Number.isInteger(maxKeyLookups) || maxKeyLookups < 1) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'maxKeyLookupsPerCall must be a positive integer');
    }
    this.#maxKeyLookups = maxKeyLookups;
    if (options.samplesProfile !== undefined) checkSamplesProfile(options.samplesProfile);
    this.#provider = options.keyProvider;
    this.#scope = Object.freeze({
      namespace: options.namespace,
      keyId: options.keyProvider.keyIdFor(options.namespace),
    });
    const engine = options.aead ?? defaultAeadEngine();
    if (typeof engine?.createKey !== 'function') {
      throw new CodecError(ERROR_CODES.invalidConfig, 'aead must be an AES-GCM engine (see loadAeadEngine)');
    }
    this.#sealer = new Sealer(maxUses, (version) => this.#aad(version), engine);
    this.#decryptKeys = new DecryptKeyCache({
      maxEntries: options.decryptKeyCacheSize ?? 1024,
      maxAgeMs: options.decryptKeyMaxAgeMs ?? 300_000,
    });
    this.#opener = new Opener({
      scope: this.#scope,
      unencrypted: new UnencryptedPolicy(options),
      provider: this.#provider,
      decryptKeys: this.#decryptKeys,
      aadFor: (version) => this.#aad(version),
      engine,
      ...(options.samplesProfile === undefined ? {} : { samples: options.samplesProfile }),
    });
  }

  /** The namespace this codec serves. */
  get namespace(): string {
    return this.#scope.namespace;
  }

  /** The key id holding this namespace's keys. */
  get keyId(): string {
    return this.#scope.keyId;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    this.#checkContext(context);
    assertPayloadArray(payloads);
    let count = 0;
    for (const payload of payloads) if (!isStorageReference(assertPayload(payload))) count++;
    if (count === 0) return payloads.slice();
    // No await between install and the end of the loop: a session replaced by another batch is zeroed at once, so
    // it must never be held across a suspension point.
    const allotments = this.#reuse(count) ?? this.#install(await this.#fetchKey(count), count);
    const out = new Array<Payload>(payloads.length);
    const cursor = new AllotmentCursor(allotments);
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i]!;
      if (isStorageReference(payload)) {
        out[i] = payload;
        continue;
      }
      const session = cursor.next();
      out[i] = { metadata: session.metadata(), data: sealPayload(session.key, session.aad, payload, session.nonces) };
    }
    this.#release(allotments);
    return out;
  }

  /**
   * Encodes each payload on its own terms: a payload of the wrong shape fails alone, storage references pass
   * through, and a key source that cannot be reached fails every payload that needed a key, with the same error.
   */
  async encodeSettled(payloads: Payload[], context?: SerializationContext): Promise<PayloadResult[]> {
    this.#checkContext(context);
    assertPayloadArray(payloads);
    const results = new Array<PayloadResult | undefined>(payloads.length);
    let count = 0;
    for (let i = 0; i < payloads.length; i++) {
      try {
        const payload = assertPayload(payloads[i]);
        if (isStorageReference(payload)) results[i] = { ok: true, payload };
        else count++;
      } catch (err) {
        results[i] = { ok: false, error: toCodecError(err) };
      }
    }
    if (count === 0) return results as PayloadResult[];
    let allotments = this.#reuse(count);
    if (allotments === undefined) {
      let material: KeyMaterial;
      try {
        material = await this.#fetchKey(count);
      } catch (err) {
        const error = toCodecError(err);
        return Array.from(results, (result) => result ?? { ok: false, error });
      }
      allotments = this.#install(material, count);
    }
    const cursor = new AllotmentCursor(allotments);
    for (let i = 0; i < payloads.length; i++) {
      if (results[i] !== undefined) continue;
      const session = cursor.next();
      const sealed = sealPayload(session.key, session.aad, payloads[i]!, session.nonces);
      results[i] = { ok: true, payload: { metadata: session.metadata(), data: sealed }, key: session.ref };
    }
    this.#release(allotments);
    return results as PayloadResult[];
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    this.#checkContext(context);
    assertPayloadArray(payloads);
    const out = new Array<Payload>(payloads.length);
    const budget = new LookupBudget(this.#maxKeyLookups);
    let pending: Array<Promise<void>> | undefined;
    for (let i = 0; i < payloads.length; i++) {
      const result = this.#opener.open(payloads[i], budget);
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
  async decodeSettled(payloads: Payload[], context?: SerializationContext): Promise<PayloadResult[]> {
    this.#checkContext(context);
    assertPayloadArray(payloads);
    const results = new Array<PayloadResult>(payloads.length);
    const budget = new LookupBudget(this.#maxKeyLookups);
    let pending: Array<Promise<void>> | undefined;
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i];
      try {
        const decoded = this.#opener.open(payload, budget);
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
    this.#checkContext(context);
    this.#install(await this.#fetchKey(1), 0);
  }

  /** Zeroes every derived key held by this codec. */
  close(): void {
    this.#sealer.clear();
    this.#decryptKeys.clear();
  }

  /** A context naming another namespace is refused: sealing under this one would make its payloads unreadable. */
  #checkContext(context: SerializationContext | undefined): void {
    const namespace = context?.namespace;
    if (namespace !== undefined && namespace !== this.#scope.namespace) {
      throw new CodecError(
        ERROR_CODES.namespaceMismatch,
        `This codec serves namespace ${JSON.stringify(this.#scope.namespace)}; use MultiNamespaceCodec for several`,
        { context: { namespace: this.#scope.namespace } },
      );
    }
  }

  /** The current session for `count` payloads when the provider says, without I/O, that it is still the one. */
  #reuse(count: number): Allotment[] | undefined {
    const session = this.#sealer.reuse(this.#provider.currentEncryptionRef?.(this.#scope, count), count);
    return session === undefined ? undefined : [{ session, count, created: false }];
  }

  #fetchKey(count: number): Promise<KeyMaterial> {
    return this.#provider.encryptionKey(this.#scope, count);
  }

  /**
   * Sessions for `count` payloads under `material` (zeroed here). New sessions' keys also open what they seal: the
   * same process often decodes what it just encoded. Precondition: the caller seals before its next await.
   */
  #install(material: KeyMaterial, count: number): Allotment[] {
    const allotments = this.#sealer.install(material, count);
    for (const { session, created } of allotments) {
      if (created) this.#decryptKeys.set(session.ref, copyDerivedKey(session.key));
    }
    return allotments;
  }

  /** Zeroes the used-up sessions of a batch that was split over several salts. */
  #release(allotments: readonly Allotment[]): void {
    if (allotments.length > 1) this.#sealer.release(allotments);
  }

  /** A successful result, with the key version of the input when it was encrypted (the audit log names them). */
  #settled(decoded: Payload, input: Payload | undefined): PayloadResult {
    if (decoded === input || input === undefined) return { ok: true, payload: decoded };
    // The samples' format has no key versions: version 0 names a samples key id (it was opened, not passed through).
    if (isSamplesPayload(input)) return { ok: true, payload: decoded, key: { keyId: samplesKeyId(input), version: 0 } };
    return { ok: true, payload: decoded, key: this.#opener.header(input) };
  }

  #aad(version: number): Buffer {
    let aad = this.#aads.get(version);
    if (aad === undefined) {
      // Bounded: forged versions reach here before authentication fails.
      if (this.#aads.size >= MAX_AAD_MEMO) this.#aads.clear();
      aad = buildAad(FORMAT, this.#scope.namespace, this.#scope.keyId, version);
      this.#aads.set(version, aad);
    }
    return aad;
  }
}
