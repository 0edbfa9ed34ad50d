import { CodecError, ERROR_CODES } from '../errors.js';
import { compositeKey, KeyCache, ProviderCaches } from '../cache/key-cache.js';
import { METADATA_KEYS, type KeyReference } from '../types.js';
import {
  PROVIDER_DEFAULTS,
  SourceRequests,
  type KeyMaterial,
  type KeyProvider,
  type KeyProviderObserver,
  type KeyScope,
  type ProviderCommonOptions,
} from './key-provider.js';
import { defaultKeyIdFor } from './key-id.js';
import { DataKeyPool } from './vault-transit-data-keys.js';
import { UnwrapBatcher } from './vault-transit-unwrap-batch.js';
import {
  VaultTransitClient,
  wrappedKeyVersion,
  type TransitDataKey,
  type VaultTransitLocation,
} from './vault-transit-client.js';

/** Options of {@link VaultTransitKeyProvider}; every limit has a safe default. */
export interface VaultTransitOptions extends VaultTransitLocation, ProviderCommonOptions {
  /** A data key is used for new payloads at most this long, so a rotation propagates. Default 60 s. */
  readonly dataKeyMaxAgeMs?: number;
  /** A data key seals at most this many payloads (counted per batch). Default 100,000. */
  readonly maxPayloadsPerDataKey?: number;
  /** How long an unwrapped data key is served from memory, so destruction takes effect. Default 5 min. */
  readonly unwrappedKeyMaxAgeMs?: number;
  /** Unwrapped data keys kept at most (least recently used evicted and zeroed). Default 1,000. */
  readonly maxCachedDataKeys?: number;
  // staleIfErrorMs (ProviderCommonOptions): a data key is never served beyond its payload limit, stale or not.
}

const DEFAULTS = {
  dataKeyMaxAgeMs: 60_000,
  maxPayloadsPerDataKey: 100_000,
  unwrappedKeyMaxAgeMs: 300_000,
  maxCachedDataKeys: 1000,
  staleIfErrorMs: 900_000,
};

/** Wrapped keys per `decrypt` request at most (a few hundred bytes each): one request stays far below body limits. */
const MAX_UNWRAP_BATCH = 250;

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value < (integer ? 1 : 0) || (integer && !Number.isInteger(value))) {
    throw new CodecError(ERROR_CODES.invalidConfig, `${name} must be a ${integer ? 'positive integer' : 'duration'}`);
  }
  return value;
}

/**
 * Envelope encryption with Vault Transit. Each namespace's key-encryption key is a Transit key that never leaves
 * Vault; payloads are sealed under data keys from `datakey/plaintext`, whose wrapped form (`vault:vN:...`) travels
 * in the payload metadata, and Transit's `N` is the payload's key version.
 *
 * ```
 * encode: DataKeyPool (max age, max payloads) --miss--> POST transit/datakey/plaintext/<prefix><keyId>
 * decode: LRU by wrapped key (max age, zeroed) --miss--> POST transit/decrypt/<prefix><keyId>  (single-flight;
 *         the misses of one turn of the event loop in one request, batch_input)
 * ```
 *
 * Both calls pass the namespace as the derivation context. On retryable Vault errors, cached keys are served for a
 * bounded stale window, as {@link CachingKeyProvider} does. Keys leave as copies.
 */
export class VaultTransitKeyProvider implements KeyProvider {
  readonly #transit: VaultTransitClient;
  readonly #keyIdFor: (namespace: string) => string;
  readonly #observer: KeyProviderObserver;
  readonly #requests: SourceRequests;
  readonly #dataKeys: DataKeyPool;
  readonly #unwrapped: KeyCache<Buffer>;
  readonly #caches: ProviderCaches;
  readonly #unwraps: UnwrapBatcher;

  constructor(options: VaultTransitOptions) {
    this.#transit = new VaultTransitClient(options);
    this.#keyIdFor = options.keyIdFor ?? defaultKeyIdFor;
    this.#observer = options.observer ?? {};
    this.#requests = new SourceRequests(this.#observer, options.maxConcurrentRequests);
    const now = options.now ?? Date.now;
    const dataKeyMaxAgeMs = positive('dataKeyMaxAgeMs', options.dataKeyMaxAgeMs ?? DEFAULTS.dataKeyMaxAgeMs);
    const maxUses = positive(
      'maxPayloadsPerDataKey',
      options.maxPayloadsPerDataKey ?? DEFAULTS.maxPayloadsPerDataKey,
      true,
    );
    const unwrapMaxAgeMs = positive(
      'unwrappedKeyMaxAgeMs',
      options.unwrappedKeyMaxAgeMs ?? DEFAULTS.unwrappedKeyMaxAgeMs,
    );
    const staleIfErrorMs = positive('staleIfErrorMs', options.staleIfErrorMs ?? DEFAULTS.staleIfErrorMs);
    const maxEntries = positive('maxCachedDataKeys', options.maxCachedDataKeys ?? DEFAULTS.maxCachedDataKeys, true);
    this.#unwrapped = new KeyCache<Buffer>({
      maxEntries,
      maxAgeMs: unwrapMaxAgeMs,
      staleIfErrorMs,
      negativeTtlMs: positive('negativeTtlMs', options.negativeTtlMs ?? PROVIDER_DEFAULTS.negativeTtlMs),
      zero: (key) => key.fill(0),
      copy: (key) => Buffer.from(key),
      kind: 'version',
      observer: this.#observer,
      now,
    });
    // Every cache miss of one turn of the event loop goes to Transit in one request per key (see UnwrapBatcher).
    this.#unwraps = new UnwrapBatcher({
      unwrapOne: (keyId, item) =>
        this.#timed('decrypt', () => this.#transit.unwrap(keyId, item.namespace, item.wrappedKey)),
      unwrapMany: (keyId, items) => this.#timed('decrypt', () => this.#transit.unwrapMany(keyId, items)),
      maxBatch: MAX_UNWRAP_BATCH,
    });
    this.#dataKeys = new DataKeyPool({
      fetch: (scope) => this.#generate(scope),
      maxAgeMs: dataKeyMaxAgeMs,
      maxUses,
      staleIfErrorMs,
      now,
      observer: this.#observer,
    });
    const sweepEvery = Math.max(1000, Math.min(unwrapMaxAgeMs, dataKeyMaxAgeMs, 60_000));
    this.#caches = new ProviderCaches(sweepEvery, [this.#dataKeys, this.#unwrapped]);
  }

  keyIdFor(namespace: string): string {
    const keyId = this.#keyIdFor(namespace);
    // Precondition: the key id can name a Transit key (checked once, when a codec builds its scope).
    this.#transit.keyName(keyId);
    return keyId;
  }

  currentEncryptionRef(scope: KeyScope, payloadCount: number): KeyReference | undefined {
    const reserved = this.#dataKeys.reserveReference(scope, useCount(payloadCount));
    return reserved === undefined ? undefined : { keyId: scope.keyId, ...reserved };
  }

  async encryptionKey(scope: KeyScope, payloadCount: number): Promise<KeyMaterial> {
    const dataKey = await this.#dataKeys.take(scope, useCount(payloadCount));
    return { keyId: scope.keyId, version: dataKey.version, key: dataKey.key, wrappedKey: dataKey.wrappedKey };
  }

  async decryptionKey(scope: KeyScope, ref: KeyReference): Promise<KeyMaterial> {
    const { keyId, namespace } = scope;
    const wrappedKey = ref.wrappedKey;
    if (wrappedKey === undefined) {
      throw new CodecError(ERROR_CODES.malformedMetadata, `Missing metadata field ${METADATA_KEYS.wrappedKey}`, {
        context: { field: METADATA_KEYS.wrappedKey, keyId, version: ref.version },
      });
    }
    // Precondition: the version in the metadata is the version Transit wrapped the data key with.
    if (wrappedKeyVersion(wrappedKey) !== ref.version) {
      throw new CodecError(
        ERROR_CODES.malformedMetadata,
        `Metadata field ${METADATA_KEYS.keyVersion} does not match the wrapped key's version`,
        { context: { field: METADATA_KEYS.keyVersion, keyId, version: ref.version } },
      );
    }
    // The namespace is part of the key: a wrapped key only unwraps in its own namespace's derivation context.
    const key = await this.#unwrapped.get(compositeKey(keyId, namespace, wrappedKey), () =>
      this.#unwraps.unwrap(keyId, { namespace, wrappedKey }),
    );
    return { keyId, version: ref.version, wrappedKey, key };
  }

  checkHealth(): Promise<void> {
    return this.#transit.checkHealth();
  }

  /** Drops every cached data key (zeroed), e.g. after an administrative change. */
  invalidate(): void {
    this.#caches.clear();
  }

  close(): Promise<void> {
    this.#caches.close();
    return Promise.resolve();
  }

  async #generate(scope: KeyScope): Promise<TransitDataKey> {
    const { keyId, namespace } = scope;
    const dataKey = await this.#timed('datakey', () => this.#transit.generateDataKey(keyId, namespace));
    // The same process often decodes what it just sealed: let that hit memory.
    this.#unwrapped.set(compositeKey(keyId, namespace, dataKey.wrappedKey), Buffer.from(dataKey.key));
    return dataKey;
  }

  #timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.#requests.run(operation, fn);
  }
}

/** A batch's payload count as data-key uses: at least one. */
function useCount(payloadCount: number): number {
  return Number.isInteger(payloadCount) && payloadCount > 0 ? payloadCount : 1;
}
