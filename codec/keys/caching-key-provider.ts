import { CodecError, ERROR_CODES, isCodecError } from '../errors.js';
import { LruCache } from '../cache/lru-cache.js';
import { SingleFlight } from '../cache/single-flight.js';
import type { KeyReference } from '../types.js';
import {
  timedSourceRequest,
  type KeyMaterial,
  type KeyProvider,
  type KeyProviderObserver,
  type ProviderCommonOptions,
} from './key-provider.js';
import type { LatestKey, VersionedKeyStore } from './versioned-key-store.js';
import { defaultKeyIdFor } from './key-id.js';

/** Cache limits of {@link CachingKeyProvider}; every field has a safe default. */
export interface CachingOptions extends ProviderCommonOptions {
  /** How long "the newest version" is trusted before asking again, so a rotation propagates. Default 60 s. */
  readonly latestTtlMs?: number;
  /** How long an exact version is served from memory, so destruction takes effect. Default 5 min. */
  readonly versionMaxAgeMs?: number;
  /** Exact versions kept at most (least recently used evicted and zeroed). Default 1,000. */
  readonly maxCachedVersions?: number;
  /**
   * When the store fails, the last known newest version keeps encrypting this much longer. Longer than
   * `staleIfErrorMs` by default (4 h) because it is safe (decoders fetch the exact version a payload names) and
   * because a worker that cannot encrypt cannot even report a failed task. Shorten it where a deactivation must
   * take effect during an outage.
   */
  readonly encryptStaleIfErrorMs?: number;
}

const DEFAULTS = {
  latestTtlMs: 60_000,
  versionMaxAgeMs: 300_000,
  maxCachedVersions: 1000,
  staleIfErrorMs: 900_000,
  encryptStaleIfErrorMs: 4 * 3_600_000,
};

function checkDuration(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new CodecError(ERROR_CODES.invalidConfig, `${name} must be a non-negative number of milliseconds`);
  }
  return value;
}

/**
 * Wraps a {@link VersionedKeyStore} with the caching rules of the design: newest-version lookups with a short TTL,
 * exact versions in a bounded LRU with a max age, one shared request for concurrent misses, and a bounded stale
 * window when the store fails. Keys leave as copies; cached bytes are zeroed on eviction.
 */
export class CachingKeyProvider implements KeyProvider {
  readonly #store: VersionedKeyStore;
  readonly #latestTtlMs: number;
  readonly #versionMaxAgeMs: number;
  readonly #staleIfErrorMs: number;
  readonly #encryptStaleIfErrorMs: number;
  readonly #now: () => number;
  readonly #observer: KeyProviderObserver;
  readonly #keyIdFor: (namespace: string) => string;
  readonly #latest: LruCache<string, LatestKey>;
  readonly #versions: LruCache<string, Buffer>;
  readonly #latestFlights = new SingleFlight<string, LatestKey>();
  readonly #versionFlights = new SingleFlight<string, Buffer>();
  readonly #sweeper: NodeJS.Timeout;
  /** Namespaces already mapped (and validated) by encryptionKey, for the synchronous fast path. */
  readonly #keyIds = new Map<string, string>();

  constructor(store: VersionedKeyStore, options: CachingOptions = {}) {
    this.#store = store;
    this.#latestTtlMs = checkDuration('latestTtlMs', options.latestTtlMs ?? DEFAULTS.latestTtlMs);
    this.#versionMaxAgeMs = checkDuration('versionMaxAgeMs', options.versionMaxAgeMs ?? DEFAULTS.versionMaxAgeMs);
    this.#staleIfErrorMs = checkDuration('staleIfErrorMs', options.staleIfErrorMs ?? DEFAULTS.staleIfErrorMs);
    this.#encryptStaleIfErrorMs = checkDuration(
      'encryptStaleIfErrorMs',
      // An explicit staleIfErrorMs (e.g. 0 to turn stale serving off) applies to both unless this is given too.
      options.encryptStaleIfErrorMs ?? options.staleIfErrorMs ?? DEFAULTS.encryptStaleIfErrorMs,
    );
    this.#now = options.now ?? Date.now;
    this.#observer = options.observer ?? {};
    this.#keyIdFor = options.keyIdFor ?? defaultKeyIdFor;
    const maxEntries = options.maxCachedVersions ?? DEFAULTS.maxCachedVersions;
    this.#latest = new LruCache({ maxEntries, now: this.#now, onEvict: (entry) => entry.key.fill(0) });
    this.#versions = new LruCache({ maxEntries, now: this.#now, onEvict: (key) => key.fill(0) });
    // Entries past their stale window are useless: zero them even if nobody asks again.
    const sweepEvery = Math.max(1000, Math.min(this.#versionMaxAgeMs, 60_000));
    this.#sweeper = setInterval(() => this.#sweep(), sweepEvery);
    this.#sweeper.unref();
  }

  keyIdFor(namespace: string): string {
    return this.#keyIdFor(namespace);
  }

  currentEncryptionRef(namespace: string, _payloadCount: number): KeyReference | undefined {
    const keyId = this.#keyIds.get(namespace);
    if (keyId === undefined) return undefined;
    const cached = this.#latest.peek(keyId);
    if (cached === undefined || this.#age(cached.storedAt) >= this.#latestTtlMs) return undefined;
    this.#observer.cacheHit?.('latest');
    return { keyId, version: cached.value.version };
  }

  async encryptionKey(namespace: string, _payloadCount: number): Promise<KeyMaterial> {
    const keyId = this.#keyIdFor(namespace);
    if (this.#keyIds.size >= 1024) this.#keyIds.clear();
    this.#keyIds.set(namespace, keyId);
    const cached = this.#latest.get(keyId);
    if (cached !== undefined && this.#age(cached.storedAt) < this.#latestTtlMs) {
      this.#observer.cacheHit?.('latest');
      return { keyId, version: cached.value.version, key: Buffer.from(cached.value.key) };
    }
    this.#observer.cacheMiss?.('latest');
    try {
      const latest = await this.#latestFlights.run(keyId, () => this.#fetchLatest(keyId));
      return { keyId, version: latest.version, key: Buffer.from(latest.key) };
    } catch (err) {
      const stale = this.#latest.peek(keyId);
      if (
        stale !== undefined &&
        isRetryable(err) &&
        this.#age(stale.storedAt) < this.#latestTtlMs + this.#encryptStaleIfErrorMs
      ) {
        this.#observer.staleServed?.('latest');
        return { keyId, version: stale.value.version, key: Buffer.from(stale.value.key) };
      }
      throw err;
    }
  }

  async decryptionKey(namespace: string, ref: KeyReference): Promise<KeyMaterial> {
    const keyId = this.#keyIdFor(namespace);
    if (ref.keyId !== keyId) {
      throw new CodecError(
        ERROR_CODES.namespaceMismatch,
        `Payload key id does not belong to namespace ${JSON.stringify(namespace)}`,
        {
          context: { namespace, keyId: ref.keyId, version: ref.version },
        },
      );
    }
    const cacheKey = `${keyId}\u0000${ref.version}`;
    const cached = this.#versions.get(cacheKey);
    if (cached !== undefined && this.#age(cached.storedAt) < this.#versionMaxAgeMs) {
      this.#observer.cacheHit?.('version');
      return { keyId, version: ref.version, key: Buffer.from(cached.value) };
    }
    this.#observer.cacheMiss?.('version');
    try {
      const key = await this.#versionFlights.run(cacheKey, () => this.#fetchVersion(keyId, ref.version, cacheKey));
      return { keyId, version: ref.version, key: Buffer.from(key) };
    } catch (err) {
      const stale = this.#versions.peek(cacheKey);
      if (
        stale !== undefined &&
        isRetryable(err) &&
        this.#age(stale.storedAt) < this.#versionMaxAgeMs + this.#staleIfErrorMs
      ) {
        this.#observer.staleServed?.('version');
        return { keyId, version: ref.version, key: Buffer.from(stale.value) };
      }
      // The store said this version is gone: forget it now rather than at max age.
      if (!isRetryable(err)) this.#versions.delete(cacheKey);
      throw err;
    }
  }

  checkHealth(): Promise<void> {
    return this.#store.checkHealth();
  }

  /** Drops every cached key (zeroed), e.g. after an administrative change. */
  invalidate(): void {
    this.#latest.clear();
    this.#versions.clear();
  }

  close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.invalidate();
    return Promise.resolve();
  }

  async #fetchLatest(keyId: string): Promise<LatestKey> {
    const latest = await this.#timed('readLatest', () => this.#store.readLatest(keyId));
    // The cache keeps its own copies; the store's buffer is zeroed once copied.
    this.#latest.set(keyId, { version: latest.version, key: Buffer.from(latest.key) });
    this.#versions.set(`${keyId}\u0000${latest.version}`, Buffer.from(latest.key));
    const result = { version: latest.version, key: Buffer.from(latest.key) };
    latest.key.fill(0);
    return result;
  }

  async #fetchVersion(keyId: string, version: number, cacheKey: string): Promise<Buffer> {
    const key = await this.#timed('readVersion', () => this.#store.readVersion(keyId, version));
    this.#versions.set(cacheKey, Buffer.from(key));
    const result = Buffer.from(key);
    key.fill(0);
    return result;
  }

  #timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return timedSourceRequest(this.#observer, operation, fn);
  }

  #age(storedAt: number): number {
    return this.#now() - storedAt;
  }

  #sweep(): void {
    this.#latest.sweep(this.#latestTtlMs + this.#encryptStaleIfErrorMs);
    this.#versions.sweep(this.#versionMaxAgeMs + this.#staleIfErrorMs);
  }
}

function isRetryable(err: unknown): boolean {
  return isCodecError(err) && err.retryable;
}
