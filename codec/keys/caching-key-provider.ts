import { CodecError, ERROR_CODES } from '../errors.js';
import { compositeKey, KeyCache, ProviderCaches } from '../cache/key-cache.js';
import type { KeyReference } from '../types.js';
import {
  PROVIDER_DEFAULTS,
  SourceRequests,
  type KeyMaterial,
  type KeyProvider,
  type KeyProviderObserver,
  type KeyScope,
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
 * Wraps a {@link VersionedKeyStore} with the caching rules of the design, as two {@link KeyCache}s: the newest
 * version with a short TTL (so rotations propagate) and exact versions with a max age (so destruction takes effect),
 * each with single flight and a bounded stale window when the store fails. Keys leave as copies; cached bytes are
 * zeroed on eviction.
 */
export class CachingKeyProvider implements KeyProvider {
  readonly #store: VersionedKeyStore;
  readonly #observer: KeyProviderObserver;
  readonly #requests: SourceRequests;
  readonly #keyIdFor: (namespace: string) => string;
  readonly #latest: KeyCache<LatestKey>;
  readonly #versions: KeyCache<Buffer>;
  readonly #caches: ProviderCaches;

  constructor(store: VersionedKeyStore, options: CachingOptions = {}) {
    this.#store = store;
    const latestTtlMs = checkDuration('latestTtlMs', options.latestTtlMs ?? DEFAULTS.latestTtlMs);
    const versionMaxAgeMs = checkDuration('versionMaxAgeMs', options.versionMaxAgeMs ?? DEFAULTS.versionMaxAgeMs);
    const staleIfErrorMs = checkDuration('staleIfErrorMs', options.staleIfErrorMs ?? DEFAULTS.staleIfErrorMs);
    const encryptStaleIfErrorMs = checkDuration(
      'encryptStaleIfErrorMs',
      // An explicit staleIfErrorMs (e.g. 0 to turn stale serving off) applies to both unless this is given too.
      options.encryptStaleIfErrorMs ?? options.staleIfErrorMs ?? DEFAULTS.encryptStaleIfErrorMs,
    );
    const now = options.now ?? Date.now;
    this.#observer = options.observer ?? {};
    this.#requests = new SourceRequests(this.#observer, options.maxConcurrentRequests);
    this.#keyIdFor = options.keyIdFor ?? defaultKeyIdFor;
    const maxEntries = options.maxCachedVersions ?? DEFAULTS.maxCachedVersions;
    const common = { maxEntries, now, observer: this.#observer };
    this.#latest = new KeyCache<LatestKey>({
      ...common,
      kind: 'latest',
      maxAgeMs: latestTtlMs,
      staleIfErrorMs: encryptStaleIfErrorMs,
      zero: (entry) => entry.key.fill(0),
      copy: (entry) => ({ version: entry.version, key: Buffer.from(entry.key) }),
    });
    this.#versions = new KeyCache<Buffer>({
      ...common,
      kind: 'version',
      maxAgeMs: versionMaxAgeMs,
      staleIfErrorMs,
      negativeTtlMs: checkDuration('negativeTtlMs', options.negativeTtlMs ?? PROVIDER_DEFAULTS.negativeTtlMs),
      zero: (key) => key.fill(0),
      copy: (key) => Buffer.from(key),
    });
    const sweepEvery = Math.max(1000, Math.min(versionMaxAgeMs, 60_000));
    this.#caches = new ProviderCaches(sweepEvery, [this.#latest, this.#versions]);
  }

  keyIdFor(namespace: string): string {
    return this.#keyIdFor(namespace);
  }

  currentEncryptionRef(scope: KeyScope, _payloadCount: number): KeyReference | undefined {
    const cached = this.#latest.fresh(scope.keyId);
    if (cached === undefined) return undefined;
    this.#observer.cacheHit?.('latest');
    return { keyId: scope.keyId, version: cached.version };
  }

  async encryptionKey(scope: KeyScope, _payloadCount: number): Promise<KeyMaterial> {
    const { keyId } = scope;
    const latest = await this.#latest.get(keyId, () => this.#fetchLatest(keyId));
    return { keyId, version: latest.version, key: latest.key };
  }

  async decryptionKey(scope: KeyScope, ref: KeyReference): Promise<KeyMaterial> {
    const { keyId } = scope;
    const key = await this.#versions.get(compositeKey(keyId, ref.version), () =>
      this.#timed('readVersion', () => this.#store.readVersion(keyId, ref.version)),
    );
    return { keyId, version: ref.version, key };
  }

  checkHealth(): Promise<void> {
    return this.#store.checkHealth();
  }

  /** Drops every cached key (zeroed), e.g. after an administrative change. */
  invalidate(): void {
    this.#caches.clear();
  }

  close(): Promise<void> {
    this.#caches.close();
    return Promise.resolve();
  }

  async #fetchLatest(keyId: string): Promise<LatestKey> {
    const latest = await this.#timed('readLatest', () => this.#store.readLatest(keyId));
    // The newest version is an exact version too: a decode of what was just sealed needs no second read.
    this.#versions.set(compositeKey(keyId, latest.version), Buffer.from(latest.key));
    return latest;
  }

  #timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.#requests.run(operation, fn);
  }
}
