import { isCodecError } from '../errors.js';
import { SingleFlight } from '../cache/single-flight.js';
import type { KeyProviderObserver, KeyScope } from './key-provider.js';
import type { TransitDataKey } from './vault-transit-client.js';

/** Limits of {@link DataKeyPool}. */
export interface DataKeyPoolOptions {
  /** Fetches a new data key for a scope (one slot per scope). */
  readonly fetch: (scope: KeyScope) => Promise<TransitDataKey>;
  /** A data key is not handed out for encryption once it is this old. */
  readonly maxAgeMs: number;
  /** A data key seals at most this many payloads (a batch larger than this gets a fresh key of its own). */
  readonly maxUses: number;
  /** When fetching fails with a retryable error, a key past `maxAgeMs` is still used this much longer. */
  readonly staleIfErrorMs: number;
  readonly now: () => number;
  readonly observer: KeyProviderObserver;
}

interface Slot {
  readonly scope: KeyScope;
  readonly dataKey: TransitDataKey;
  readonly fetchedAt: number;
  uses: number;
}

/**
 * The data keys currently used for encryption, one per slot, under two limits: age and number of payloads. Every
 * caller reserves its payload count before it gets a copy, so concurrent batches cannot push a key past its limit,
 * and concurrent misses share one request; callers that find the fresh key already used up fetch the next one.
 *
 * A key is copied out synchronously when it is reserved, so replacing a slot can zero the old key at once. Slots are
 * found by namespace and checked against the scope's key id, so no composite string key is ever built or split.
 */
export class DataKeyPool {
  readonly #options: DataKeyPoolOptions;
  readonly #slots = new Map<string, Slot>(); // by namespace
  readonly #flights = new SingleFlight<string, void>(); // by namespace

  constructor(options: DataKeyPoolOptions) {
    this.#options = options;
  }

  /** A copy of a data key for `count` payloads of `scope`, fetching a new one when none has room. */
  async take(scope: KeyScope, count: number): Promise<TransitDataKey> {
    // Each pass either returns or waits for a fetch that yields a key with room for at least one batch; a caller
    // that started a fetch is first in line for its result, and a key fetched after the caller arrived is fresh
    // enough for it whatever the clock says, so the loop ends.
    const arrived = this.#options.now();
    for (;;) {
      const reserved = this.#reserve(scope, count, this.#options.maxAgeMs, arrived);
      if (reserved !== undefined) {
        this.#options.observer.cacheHit?.('latest');
        return reserved;
      }
      this.#options.observer.cacheMiss?.('latest');
      try {
        await this.#flights.run(scope.namespace, () => this.#refill(scope));
      } catch (err) {
        const stale =
          isCodecError(err) && err.retryable ? this.#reserve(scope, count, this.#staleLimit(), Infinity) : undefined;
        if (stale === undefined) throw err;
        this.#options.observer.staleServed?.('latest');
        return stale;
      }
    }
  }

  /**
   * Reserves `count` uses of the current data key without copying it, when one is fresh and has room; returns its
   * version and wrapped form (the codec already holds the key derived from it), else undefined and reserves nothing.
   */
  reserveReference(scope: KeyScope, count: number): { version: number; wrappedKey: string } | undefined {
    const current = this.#slot(scope);
    if (current === undefined) return undefined;
    if (this.#options.now() - current.fetchedAt >= this.#options.maxAgeMs) return undefined;
    if (current.uses > 0 && current.uses + count > this.#options.maxUses) return undefined;
    current.uses += count;
    this.#options.observer.cacheHit?.('latest');
    return { version: current.dataKey.version, wrappedKey: current.dataKey.wrappedKey };
  }

  /** Zeroes and drops keys too old even for the stale window. */
  sweep(): void {
    const now = this.#options.now();
    for (const [name, slot] of this.#slots) {
      if (now - slot.fetchedAt >= this.#staleLimit()) this.#drop(name);
    }
  }

  /** Zeroes and drops every key. */
  clear(): void {
    for (const name of [...this.#slots.keys()]) this.#drop(name);
  }

  #staleLimit(): number {
    return this.#options.maxAgeMs + this.#options.staleIfErrorMs;
  }

  #reserve(scope: KeyScope, count: number, maxAgeMs: number, fetchedSince: number): TransitDataKey | undefined {
    const slot = this.#slot(scope);
    if (slot === undefined) return undefined;
    if (this.#options.now() - slot.fetchedAt >= maxAgeMs && slot.fetchedAt < fetchedSince) return undefined;
    if (slot.uses > 0 && slot.uses + count > this.#options.maxUses) return undefined;
    slot.uses += count;
    const { version, wrappedKey, key } = slot.dataKey;
    return { version, wrappedKey, key: Buffer.from(key) };
  }

  async #refill(scope: KeyScope): Promise<void> {
    const dataKey = await this.#options.fetch(scope);
    this.#drop(scope.namespace);
    this.#slots.set(scope.namespace, { scope, dataKey, fetchedAt: this.#options.now(), uses: 0 });
  }

  /** The scope's slot; one filled for the same namespace under another key id does not count. */
  #slot(scope: KeyScope): Slot | undefined {
    const slot = this.#slots.get(scope.namespace);
    return slot !== undefined && slot.scope.keyId === scope.keyId ? slot : undefined;
  }

  #drop(name: string): void {
    const slot = this.#slots.get(name);
    if (slot === undefined) return;
    slot.dataKey.key.fill(0);
    this.#slots.delete(name);
  }
}
