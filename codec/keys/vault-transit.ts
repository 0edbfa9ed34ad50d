import { CodecError, ERROR_CODES, isCodecError } from '../errors.js';
import { LruCache } from '../cache/lru-cache.js';
import { SingleFlight } from '../cache/single-flight.js';
import { METADATA_KEYS, type KeyReference } from '../types.js';
import {
  timedSourceRequest,
  type KeyMaterial,
  type KeyProvider,
  type KeyProviderObserver,
  type ProviderCommonOptions,
} from './key-provider.js';
import { defaultKeyIdFor } from './key-id.js';
import { DataKeyPool } from './vault-transit-data-keys.js';
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
 * decode: LRU by wrapped key (max age, zeroed) --miss--> POST transit/decrypt/<prefix><keyId>  (single-flight)
 * ```
 *
 * Both calls pass the namespace as the derivation context. On retryable Vault errors, cached keys are served for a
 * bounded stale window, as {@link CachingKeyProvider} does. Keys leave as copies.
 */
export class VaultTransitKeyProvider implements KeyProvider {
  readonly #transit: VaultTransitClient;
  readonly #keyIdFor: (namespace: string) => string;
  readonly #observer: KeyProviderObserver;
  readonly #now: () => number;
  readonly #unwrapMaxAgeMs: number;
  readonly #staleIfErrorMs: number;
  readonly #dataKeys: DataKeyPool;
  /** Namespaces already validated and mapped by encryptionKey, for the synchronous fast path. */
  readonly #knownKeyIds = new Map<string, string>();
  readonly #unwrapped: LruCache<string, Buffer>;
  readonly #flights = new SingleFlight<string, Buffer>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: VaultTransitOptions) {
    this.#transit = new VaultTransitClient(options);
    this.#keyIdFor = options.keyIdFor ?? defaultKeyIdFor;
    this.#observer = options.observer ?? {};
    this.#now = options.now ?? Date.now;
    const dataKeyMaxAgeMs = positive('dataKeyMaxAgeMs', options.dataKeyMaxAgeMs ?? DEFAULTS.dataKeyMaxAgeMs);
    const maxUses = positive(
      'maxPayloadsPerDataKey',
      options.maxPayloadsPerDataKey ?? DEFAULTS.maxPayloadsPerDataKey,
      true,
    );
    this.#unwrapMaxAgeMs = positive(
      'unwrappedKeyMaxAgeMs',
      options.unwrappedKeyMaxAgeMs ?? DEFAULTS.unwrappedKeyMaxAgeMs,
    );
    this.#staleIfErrorMs = positive('staleIfErrorMs', options.staleIfErrorMs ?? DEFAULTS.staleIfErrorMs);
    const maxEntries = positive('maxCachedDataKeys', options.maxCachedDataKeys ?? DEFAULTS.maxCachedDataKeys, true);
    this.#unwrapped = new LruCache({ maxEntries, now: this.#now, onEvict: (key) => key.fill(0) });
    this.#dataKeys = new DataKeyPool({
      fetch: (slot) => this.#generate(slot),
      maxAgeMs: dataKeyMaxAgeMs,
      maxUses,
      staleIfErrorMs: this.#staleIfErrorMs,
      now: this.#now,
      observer: this.#observer,
    });
    // Keys past their stale window are useless: zero them even if nobody asks again.
    const sweepEvery = Math.max(1000, Math.min(this.#unwrapMaxAgeMs, dataKeyMaxAgeMs, 60_000));
    this.#sweeper = setInterval(() => this.#sweep(), sweepEvery);
    this.#sweeper.unref();
  }

  keyIdFor(namespace: string): string {
    return this.#keyIdFor(namespace);
  }

  currentEncryptionRef(namespace: string, payloadCount: number): KeyReference | undefined {
    const keyId = this.#knownKeyIds.get(namespace);
    if (keyId === undefined) return undefined;
    const count = Number.isInteger(payloadCount) && payloadCount > 0 ? payloadCount : 1;
    const reserved = this.#dataKeys.reserveReference(slotName(keyId, namespace), count);
    return reserved === undefined ? undefined : { keyId, ...reserved };
  }

  async encryptionKey(namespace: string, payloadCount: number): Promise<KeyMaterial> {
    const keyId = this.#keyIdFor(namespace);
    // Precondition: the key id can name a Transit key (checked before any request).
    this.#transit.keyName(keyId);
    const count = Number.isInteger(payloadCount) && payloadCount > 0 ? payloadCount : 1;
    const dataKey = await this.#dataKeys.take(slotName(keyId, namespace), count);
    if (this.#knownKeyIds.size >= 1024) this.#knownKeyIds.clear();
    this.#knownKeyIds.set(namespace, keyId);
    return { keyId, version: dataKey.version, key: dataKey.key, wrappedKey: dataKey.wrappedKey };
  }

  async decryptionKey(namespace: string, ref: KeyReference): Promise<KeyMaterial> {
    const keyId = this.#keyIdFor(namespace);
    if (ref.keyId !== keyId) {
      throw new CodecError(
        ERROR_CODES.namespaceMismatch,
        `Payload key id does not belong to namespace ${JSON.stringify(namespace)}`,
        { context: { namespace, keyId: ref.keyId, version: ref.version } },
      );
    }
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
    const cacheKey = unwrapCacheKey(keyId, namespace, wrappedKey);
    const cached = this.#unwrapped.get(cacheKey);
    if (cached !== undefined && this.#now() - cached.storedAt < this.#unwrapMaxAgeMs) {
      this.#observer.cacheHit?.('version');
      return { keyId, version: ref.version, wrappedKey, key: Buffer.from(cached.value) };
    }
    this.#observer.cacheMiss?.('version');
    try {
      const key = await this.#flights.run(cacheKey, () => this.#unwrap(keyId, namespace, wrappedKey, cacheKey));
      return { keyId, version: ref.version, wrappedKey, key: Buffer.from(key) };
    } catch (err) {
      const stale = this.#unwrapped.peek(cacheKey);
      const retryable = isCodecError(err) && err.retryable;
      if (
        stale !== undefined &&
        retryable &&
        this.#now() - stale.storedAt < this.#unwrapMaxAgeMs + this.#staleIfErrorMs
      ) {
        this.#observer.staleServed?.('version');
        return { keyId, version: ref.version, wrappedKey, key: Buffer.from(stale.value) };
      }
      // Vault said this version is gone (or the wrapped key is bad): forget it now rather than at max age.
      if (!retryable) this.#unwrapped.delete(cacheKey);
      throw err;
    }
  }

  checkHealth(): Promise<void> {
    return this.#transit.checkHealth();
  }

  /** Drops every cached data key (zeroed), e.g. after an administrative change. */
  invalidate(): void {
    this.#dataKeys.clear();
    this.#unwrapped.clear();
  }

  close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.invalidate();
    return Promise.resolve();
  }

  async #generate(slot: string): Promise<TransitDataKey> {
    const [keyId, namespace] = splitSlot(slot);
    const dataKey = await this.#timed('datakey', () => this.#transit.generateDataKey(keyId, namespace));
    // The same process often decodes what it just sealed: let that hit memory.
    this.#unwrapped.set(unwrapCacheKey(keyId, namespace, dataKey.wrappedKey), Buffer.from(dataKey.key));
    return dataKey;
  }

  async #unwrap(keyId: string, namespace: string, wrappedKey: string, cacheKey: string): Promise<Buffer> {
    const key = await this.#timed('decrypt', () => this.#transit.unwrap(keyId, namespace, wrappedKey));
    this.#unwrapped.set(cacheKey, Buffer.from(key));
    return key;
  }

  #timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return timedSourceRequest(this.#observer, operation, fn);
  }

  #sweep(): void {
    this.#dataKeys.sweep();
    this.#unwrapped.sweep(this.#unwrapMaxAgeMs + this.#staleIfErrorMs);
  }
}

// Key ids and namespaces never contain NUL (assertNamespace), so it separates them unambiguously.
function slotName(keyId: string, namespace: string): string {
  return `${keyId}\u0000${namespace}`;
}

function splitSlot(slot: string): [string, string] {
  const at = slot.indexOf('\u0000');
  return [slot.slice(0, at), slot.slice(at + 1)];
}

function unwrapCacheKey(keyId: string, namespace: string, wrappedKey: string): string {
  return `${keyId}\u0000${namespace}\u0000${wrappedKey}`;
}
