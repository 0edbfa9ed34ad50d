import { performance } from 'node:perf_hooks';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';

/** How often pending deadlines are checked: a deadline fires at most this much late. */
const SWEEP_MS = 10;

interface Pending {
  /** `performance.now()` at which the deadline passes. */
  readonly at: number;
  readonly ms: number;
  readonly reject: (err: unknown) => void;
}

const pending = new Set<Pending>();
let sweeper: NodeJS.Timeout | undefined;

/**
 * Settles like `work`, or rejects with a 503 `ERR_TIMEOUT` after `ms` milliseconds (checked every 10 ms). The work
 * is not cancelled (a Vault request in flight finishes and fills the cache for the retry); only the answer stops
 * waiting for it.
 *
 * One interval timer serves every pending deadline and stops when none is left: with cached keys a request's codec
 * work settles within microseconds, and a timer armed and cleared per request cost more than the work.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry: Pending = { at: performance.now() + ms, ms, reject };
    pending.add(entry);
    sweeper ??= setInterval(sweep, SWEEP_MS).unref();
    work.then(
      (value) => {
        pending.delete(entry);
        resolve(value);
      },
      (err: unknown) => {
        pending.delete(entry);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the work's own rejection, unchanged
        reject(err);
      },
    );
  });
}

function sweep(): void {
  if (pending.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
    return;
  }
  const now = performance.now();
  for (const entry of pending) {
    if (entry.at > now) continue;
    pending.delete(entry);
    entry.reject(
      new HttpError(503, SERVER_ERROR_CODES.timeout, `the request did not finish within ${entry.ms} ms; retry later`),
    );
  }
}
