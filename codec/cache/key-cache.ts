import { isCodecError, type CodecError } from '../errors.js';
import type { KeyProviderObserver } from '../keys/key-provider.js';
import { LruCache } from './lru-cache.js';
import { SingleFlight } from './single-flight.js';

/** Limits and hooks of a {@link KeyCache}. Every key source's cache is one of these. */
export interface KeyCacheOptions<V> {
  /** Entries kept at most; the least recently used is evicted (and zeroed) first. */
  readonly maxEntries: number;
  /** An entry younger than this is served without asking the key source. */
  readonly maxAgeMs: number;
  /** When the key source fails with a retryable error, an entry is still served this much longer. */
  readonly staleIfErrorMs: number;
  /**
   * A non-retryable answer ("no such version", "destroyed") is remembered this long, so that a request naming many
   * bad versions cannot make the key source answer the same question again and again. 0 (the default) turns it off.
   */
  readonly negativeTtlMs?: number;
  /** Overwrites a value's key bytes; called for every value that leaves the cache. */
  readonly zero: (value: V) => void;
  /** A copy of a value for one caller, who owns (and zeroes) it; the cache keeps its own. */
  readonly copy: (value: V) => V;
  /** Which observer counters this cache feeds. */
  readonly kind: 'latest' | 'version';
  readonly observer: KeyProviderObserver;
  readonly now: () => number;
}

interface Negative {
  readonly error: CodecError;
  readonly until: number;
}

/**
 * The one key cache of the library, shared by every key source: a bounded LRU whose entries are fresh for
 * `maxAgeMs`, one shared request for concurrent misses of the same entry (single flight), stale entries served for
 * a bounded window when the key source fails with a retryable error, entries dropped at once when it says a key is
 * gone, and (optionally) that answer remembered briefly as a negative entry. Values leave as copies; the cache zeroes
 * its own on eviction, expiry ({@link sweep}) and {@link clear}.
 *
 * Kept instead of the `lru-cache` package, whose `fetch()` offers single flight and stale-on-rejection: there a
 * stale value is served for any rejection and with no age bound, whereas a destroyed key version must stop
 * decrypting at once (non-retryable errors evict) and an outage may extend a key's life only by `staleIfErrorMs`;
 * and the codec's synchronous fast path needs a fresh lookup that is not a promise ({@link fresh}).
 */
export class KeyCache<V> {
  readonly #options: KeyCacheOptions<V>;
  readonly #entries: LruCache<string, V>;
  readonly #flights = new SingleFlight<string, V>();
  readonly #negative = new Map<string, Negative>();

  constructor(options: KeyCacheOptions<V>) {
    this.#options = options;
    this.#entries = new LruCache({ maxEntries: options.maxEntries, now: options.now, onEvict: options.zero });
  }

  /** Number of cached values. */
  get size(): number {
    return this.#entries.size;
  }

  /** The cached value for `key` when it is fresh, without copying it or touching recency; for synchronous peeks. */
  fresh(key: string): V | undefined {
    const entry = this.#entries.peek(key);
    return entry !== undefined && this.#age(entry.storedAt) < this.#options.maxAgeMs ? entry.value : undefined;
  }

  /**
   * A copy of the value for `key`: from memory when fresh, else from `load` (shared by concurrent callers), else,
   * when `load` fails with a retryable error, from memory within the stale window.
   *
   * `load` returns a value the cache then owns (it stores it and hands out copies).
   */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const { observer, kind, copy } = this.#options;
    const cached = this.#entries.get(key);
    if (cached !== undefined && this.#age(cached.storedAt) < this.#options.maxAgeMs) {
      observer.cacheHit?.(kind);
      return copy(cached.value);
    }
    const negative = this.#negative.get(key);
    if (negative !== undefined) {
      if (this.#options.now() < negative.until) throw negative.error;
      this.#negative.delete(key);
    }
    observer.cacheMiss?.(kind);
    try {
      return copy(await this.#flights.run(key, () => this.#load(key, load)));
    } catch (err) {
      const stale = this.#entries.peek(key);
      const retryable = isCodecError(err) && err.retryable;
      if (
        stale !== undefined &&
        retryable &&
        this.#age(stale.storedAt) < this.#options.maxAgeMs + this.#options.staleIfErrorMs
      ) {
        observer.staleServed?.(kind);
        return copy(stale.value);
      }
      // The key source said this key is gone: forget it now rather than at max age.
      if (!retryable) this.#entries.delete(key);
      throw err;
    }
  }

  /** Stores a value the cache now owns (an older one under `key` is zeroed). */
  set(key: string, value: V): void {
    this.#negative.delete(key);
    this.#entries.set(key, value);
  }

  /** Removes and zeroes the value for `key`. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Zeroes and drops entries past their stale window, and expired negative entries. */
  sweep(): void {
    this.#entries.sweep(this.#options.maxAgeMs + this.#options.staleIfErrorMs);
    const now = this.#options.now();
    for (const [key, negative] of this.#negative) if (now >= negative.until) this.#negative.delete(key);
  }

  /** Zeroes and drops everything. */
  clear(): void {
    this.#entries.clear();
    this.#negative.clear();
  }

  async #load(key: string, load: () => Promise<V>): Promise<V> {
    try {
      const value = await load();
      this.set(key, value);
      return value;
    } catch (err) {
      const ttl = this.#options.negativeTtlMs ?? 0;
      if (ttl > 0 && isCodecError(err) && !err.retryable) {
        // Bounded like the entries: a flood of distinct bad keys cannot grow the map without limit.
        if (this.#negative.size >= this.#options.maxEntries) this.#negative.clear();
        this.#negative.set(key, { error: err, until: this.#options.now() + ttl });
      }
      throw err;
    }
  }

  #age(storedAt: number): number {
    return this.#options.now() - storedAt;
  }
}

/** A cache key made of several parts, unambiguous whatever characters the parts hold. */
export function compositeKey(...parts: ReadonlyArray<string | number>): string {
  return JSON.stringify(parts);
}

/** A cache that can drop what has expired and zero everything it holds. */
export interface SweptCache {
  sweep(): void;
  clear(): void;
}

/**
 * The caches of one key provider, swept on an unref'd timer (entries past their stale window are useless: zero them
 * even if nobody asks again) and cleared together.
 */
export class ProviderCaches {
  readonly #caches: readonly SweptCache[];
  readonly #timer: NodeJS.Timeout;

  constructor(everyMs: number, caches: readonly SweptCache[]) {
    this.#caches = caches;
    this.#timer = setInterval(() => {
      for (const cache of this.#caches) cache.sweep();
    }, everyMs);
    this.#timer.unref();
  }

  /** Zeroes and drops every cached key. */
  clear(): void {
    for (const cache of this.#caches) cache.clear();
  }

  /** Stops the sweeps and zeroes every cached key. */
  close(): void {
    clearInterval(this.#timer);
    this.clear();
  }
}
