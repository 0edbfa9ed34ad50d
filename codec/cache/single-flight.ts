/**
 * Collapses concurrent calls for the same key into one: while a call for `key` is in flight, later callers get the
 * same promise. This is what makes a thousand cold-cache requests cost one Vault round trip.
 */
export class SingleFlight<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();

  /** Number of calls in flight. */
  get size(): number {
    return this.#inFlight.size;
  }

  /** Runs `fn` unless a call for `key` is already in flight, in which case its promise is shared. */
  run(key: K, fn: () => Promise<V>): Promise<V> {
    const existing = this.#inFlight.get(key);
    if (existing !== undefined) return existing;
    const promise = (async () => {
      try {
        return await fn();
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, promise);
    return promise;
  }
}
