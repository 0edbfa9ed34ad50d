/** One cached value and when it was stored. */
export interface CacheEntry<V> {
  readonly value: V;
  readonly storedAt: number;
}

/** Options of {@link LruCache}. */
export interface LruCacheOptions<V> {
  /** Entries kept at most; the least recently used is evicted first. */
  readonly maxEntries: number;
  /** Called with every value that leaves the cache (eviction, replacement, delete, clear): zero key bytes here. */
  readonly onEvict?: (value: V) => void;
  /** Milliseconds clock, injectable for tests. */
  readonly now?: () => number;
}

/**
 * A bounded least-recently-used map that remembers when each entry was stored. Freshness policy (TTL, max age,
 * stale-if-error) belongs to the caller, which knows what a stale entry is still good for.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, CacheEntry<V>>();
  readonly #maxEntries: number;
  readonly #onEvict: (value: V) => void;
  readonly #now: () => number;

  constructor(options: LruCacheOptions<V>) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    this.#maxEntries = options.maxEntries;
    this.#onEvict = options.onEvict ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry for `key`, marked as most recently used; `undefined` when absent. */
  get(key: K): CacheEntry<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // Map keeps insertion order: re-inserting moves the entry to the most-recent end.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** The entry for `key` without touching recency. */
  peek(key: K): CacheEntry<V> | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value`, evicting the least recently used entries beyond `maxEntries`. */
  set(key: K, value: V): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      if (previous.value !== value) this.#onEvict(previous.value);
    }
    this.#entries.set(key, { value, storedAt: this.#now() });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#onEvict(entry.value);
    return true;
  }

  /** Removes every entry stored more than `maxAgeMs` ago; returns how many. */
  sweep(maxAgeMs: number): number {
    const cutoff = this.#now() - maxAgeMs;
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.storedAt < cutoff) {
        this.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Removes every entry. */
  clear(): void {
    for (const key of [...this.#entries.keys()]) this.delete(key);
  }
}
