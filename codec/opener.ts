import type { Payload } from '@temporalio/common';
import type { AeadEngine } from './aead/engine.js';
import { deriveKey, openSealed, zeroDerivedKey, type DerivedKey } from './aes-gcm.js';
import type { DecryptKeyCache } from './decrypt-key-cache.js';
import { CodecError, ERROR_CODES } from './errors.js';
import type { KeyProvider, KeyScope } from './keys/key-provider.js';
import { assertPayload } from './payload-checks.js';
import { deserializePayload } from './payload-parse.js';
import { isSamplesPayload } from './samples/samples-format.js';
import { openSamplesPayload, samplesKeyId, type SamplesProfileOptions } from './samples/samples-profile.js';
import { METADATA_KEYS, V1_LAYOUT } from './types.js';
import type { UnencryptedPolicy } from './unencrypted-policy.js';
import { HeaderReader, isEncrypted, isStorageReference, type EncryptedHeader } from './wire-format.js';

/**
 * The distinct keys one decode call may fetch: the first `max` distinct (version, wrapped key) pairs missing from
 * memory are looked up, later ones fail alone with `ERR_KEY_LOOKUP_LIMIT`. So a request naming 500 invented versions
 * costs the key source at most `max` lookups, not 500.
 */
export class LookupBudget {
  readonly #max: number;
  #seen: Set<string> | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  /** Whether the key `header` names may be fetched in this call (a key already admitted always may). */
  admit(header: EncryptedHeader): boolean {
    return this.admitKey(`${header.version}:${header.wrappedKey ?? ''}`);
  }

  /** Whether the key named `key` (distinct per key) may be fetched in this call. */
  admitKey(key: string): boolean {
    const seen = (this.#seen ??= new Set());
    if (seen.has(key)) return true;
    if (seen.size >= this.#max) return false;
    seen.add(key);
    return true;
  }
}

/** What an {@link Opener} works with; all of it owned by its codec. */
export interface OpenerDeps {
  readonly scope: KeyScope;
  readonly unencrypted: UnencryptedPolicy;
  readonly provider: KeyProvider;
  readonly decryptKeys: DecryptKeyCache;
  readonly aadFor: (version: number) => Buffer;
  /** The AES-GCM engine of the keys it derives. */
  readonly engine: AeadEngine;
  /** How payloads of the samples' format are read; absent, they are refused. */
  readonly samples?: SamplesProfileOptions;
}

/**
 * The decode half of a codec: checks a payload's metadata against the codec's key scope and its length against the
 * format, then opens it under the derived key of the exact version and salt it names, from memory when cached.
 */
export class Opener {
  readonly #deps: OpenerDeps;
  readonly #headers = new HeaderReader();

  constructor(deps: OpenerDeps) {
    this.#deps = deps;
  }

  /** The key version an encrypted payload names (memoized for runs of identical metadata). */
  header(payload: Payload): EncryptedHeader {
    return this.#headers.read(payload);
  }

  /**
   * Opens one payload: synchronously when its key is in memory, else after fetching it; a payload that is not
   * encrypted is returned as is when the policy admits it, and a storage reference always. Throws (or rejects with)
   * CodecErrors.
   */
  open(payload: Payload | undefined, budget: LookupBudget): Payload | Promise<Payload> {
    const input = assertPayload(payload);
    if (!isEncrypted(input)) {
      if (!isStorageReference(input)) this.#deps.unencrypted.admit(input, this.#deps.scope.namespace);
      return input;
    }
    if (isSamplesPayload(input)) return this.#openSamples(input, budget);
    const header = this.#headers.read(input);
    const { scope, decryptKeys, aadFor } = this.#deps;
    if (header.keyId !== scope.keyId) {
      throw new CodecError(ERROR_CODES.namespaceMismatch, 'Payload was encrypted for another namespace', {
        context: { namespace: scope.namespace, keyId: header.keyId, version: header.version },
      });
    }
    const data = input.data ?? new Uint8Array(0);
    if (data.length < V1_LAYOUT.minimum) {
      throw new CodecError(
        ERROR_CODES.truncated,
        `Encrypted data is ${data.length} bytes, shorter than the ${V1_LAYOUT.minimum}-byte minimum`,
        { context: { field: 'data', keyId: header.keyId, version: header.version } },
      );
    }
    const cached = decryptKeys.get(header, data);
    const aad = aadFor(header.version);
    if (cached !== undefined) return deserializePayload(openSealed(cached, aad, data));
    if (!budget.admit(header)) {
      throw new CodecError(
        ERROR_CODES.keyLookupLimit,
        'This batch names more distinct key versions than are looked up at once; decode it in smaller batches',
        { context: { keyId: header.keyId, version: header.version } },
      );
    }
    return this.#openWithFetchedKey(header, aad, data);
  }

  /** A payload with no format metadata: one of the samples' codecs wrote it. Decode-only, and only when configured. */
  #openSamples(input: Payload, budget: LookupBudget): Promise<Payload> {
    const { samples, scope } = this.#deps;
    if (samples === undefined) {
      throw new CodecError(
        ERROR_CODES.unsupportedFormat,
        "Payload has no encryption-format (the samples' format?); configure the samples profile to read it",
        { context: { field: METADATA_KEYS.format, namespace: scope.namespace } },
      );
    }
    const keyId = samplesKeyId(input);
    if (!budget.admitKey(`samples:${keyId}`)) {
      throw new CodecError(
        ERROR_CODES.keyLookupLimit,
        'This batch names more distinct key ids than are looked up at once; decode it in smaller batches',
        { context: { keyId } },
      );
    }
    return openSamplesPayload(samples, scope.namespace, keyId, input);
  }

  async #openWithFetchedKey(header: EncryptedHeader, aad: Buffer, data: Uint8Array): Promise<Payload> {
    const material = await this.#deps.provider.decryptionKey(this.#deps.scope, header);
    let key: DerivedKey;
    try {
      const salt = data.subarray(0, V1_LAYOUT.salt);
      key = deriveKey(material.key, salt, header.keyId, header.version, this.#deps.engine);
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
    this.#deps.decryptKeys.set(header, key);
    return deserializePayload(plaintext);
  }
}
