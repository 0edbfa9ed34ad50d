/**
 * Bounds how many calls run at once; the rest wait in arrival order. One per key provider, so that however many
 * requests and namespaces a process serves, the key source never sees more than `limit` requests from it at a time.
 */
export class ConcurrencyLimiter {
  readonly #limit: number;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.#limit = limit;
  }

  /** Calls running now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `fn` once fewer than `limit` calls are running. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next caller, so the count never dips below the limit while callers wait.
      if (next !== undefined) next();
      else this.#running--;
    }
  }
}
