import type { CodecError } from '../errors.js';

/** One wrapped data key to unwrap, in the derivation context of its namespace. */
export interface UnwrapItem {
  readonly namespace: string;
  readonly wrappedKey: string;
}

/** Options of {@link UnwrapBatcher}. */
export interface UnwrapBatcherOptions {
  /** Unwraps one wrapped key (one `decrypt` request). */
  readonly unwrapOne: (keyId: string, item: UnwrapItem) => Promise<Buffer>;
  /**
   * Unwraps several wrapped keys of one Transit key in one `decrypt` request (`batch_input`): one outcome per item, in
   * order; rejects only when the request as a whole failed.
   */
  readonly unwrapMany: (keyId: string, items: readonly UnwrapItem[]) => Promise<Array<Buffer | CodecError>>;
  /** Items per request at most; larger groups are split. */
  readonly maxBatch: number;
}

interface Waiter {
  readonly resolve: (key: Buffer) => void;
  readonly reject: (err: unknown) => void;
}

interface Group {
  /** Waiters by namespace and wrapped key, in arrival order. */
  readonly items: Map<string, { readonly item: UnwrapItem; readonly waiters: Waiter[] }>;
}

/**
 * Coalesces the unwraps asked for in one turn of the event loop into one Transit request per key. A `/decode` of a
 * history written by many worker processes names many data keys; its payloads are opened in one synchronous pass, so
 * every missing key is asked for before the first microtask runs, and the request that follows carries them all
 * (deduplicated) instead of one round trip per key.
 *
 * The caller's cache (single flight, negative entries, stale window) sits in front of this: only keys that missed it
 * arrive here, and each outcome, success or error, goes to the waiters of its own item.
 */
export class UnwrapBatcher {
  readonly #options: UnwrapBatcherOptions;
  readonly #groups = new Map<string, Group>(); // by key id
  #scheduled = false;

  constructor(options: UnwrapBatcherOptions) {
    this.#options = options;
  }

  /** The unwrapped key of `item`; the caller owns (and zeroes) the buffer it receives. */
  unwrap(keyId: string, item: UnwrapItem): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let group = this.#groups.get(keyId);
      if (group === undefined) {
        group = { items: new Map() };
        this.#groups.set(keyId, group);
      }
      // Namespace and wrapped key hold no NUL: Transit ciphertexts are base64 and namespaces are validated names.
      const id = `${item.namespace}\u0000${item.wrappedKey}`;
      const entry = group.items.get(id);
      if (entry === undefined) group.items.set(id, { item, waiters: [{ resolve, reject }] });
      else entry.waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const groups = [...this.#groups];
    this.#groups.clear();
    for (const [keyId, group] of groups) {
      const entries = [...group.items.values()];
      for (let start = 0; start < entries.length; start += this.#options.maxBatch) {
        void this.#send(keyId, entries.slice(start, start + this.#options.maxBatch));
      }
    }
  }

  async #send(keyId: string, entries: Array<{ readonly item: UnwrapItem; readonly waiters: Waiter[] }>): Promise<void> {
    let outcomes: Array<Buffer | CodecError>;
    try {
      // A single key keeps the plain request: the same call as without batching, and the cheapest for Vault.
      outcomes =
        entries.length === 1
          ? [await this.#options.unwrapOne(keyId, entries[0]!.item)]
          : await this.#options.unwrapMany(
              keyId,
              entries.map((entry) => entry.item),
            );
    } catch (err) {
      for (const entry of entries) for (const waiter of entry.waiters) waiter.reject(err);
      return;
    }
    entries.forEach((entry, index) => {
      const outcome = outcomes[index]!;
      entry.waiters.forEach((waiter, n) => {
        if (!Buffer.isBuffer(outcome)) waiter.reject(outcome);
        // Every waiter owns its buffer: the first gets the original, later ones copies.
        else waiter.resolve(n === 0 ? outcome : Buffer.from(outcome));
      });
    });
  }
}
