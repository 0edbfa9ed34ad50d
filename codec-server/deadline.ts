import { HttpError, SERVER_ERROR_CODES } from './http-error.js';

/**
 * Settles like `work`, or rejects with a 503 `ERR_TIMEOUT` after `ms` milliseconds. The work is not cancelled (a
 * Vault request in flight finishes and fills the cache for the retry); only the answer stops waiting for it.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new HttpError(503, SERVER_ERROR_CODES.timeout, `the request did not finish within ${ms} ms; retry later`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
