import type { Payload } from '@temporalio/common';
import {
  STORAGE_ERROR_CODES,
  StorageError,
  isStorageReference,
  parseStorageReference,
  type S3Claim,
} from '../../codec/storage/index.js';
import type { NamespaceStorage } from './namespace-storage.js';

/** What became of one reference. */
export type RetrieveOutcome =
  | { readonly ok: true; readonly payload: Payload; readonly object: string; readonly bytes: number }
  | { readonly ok: false; readonly error: StorageError };

/** Limits and cancellation of {@link retrieveReferences}. */
export interface RetrieveOptions {
  /** More references than this in one call fail the whole call with `ERR_TOO_MANY_STORAGE_REFERENCES`. */
  readonly maxReferences: number;
  /** Deadline of the storage requests, in milliseconds; when it passes they are aborted (`ERR_STORAGE_UNAVAILABLE`). */
  readonly timeoutMs: number;
  /** Aborts the storage requests (e.g. the client went away). */
  readonly signal?: AbortSignal;
  /** Storage requests in flight at once. Default 4: a request may name many blobs, the store is shared. */
  readonly concurrency?: number;
  /** Observes every storage request: outcome code (`ok` or an error code), seconds, bytes read. */
  readonly observe?: (outcome: string, seconds: number, bytes: number) => void;
}

/**
 * The storage step of `/decode` and `/download`: for each payload that is an External Storage reference, the stored
 * payload it names (still sealed: the codec runs next), or why it could not be had. Other payloads get `undefined`.
 *
 * Every reference is parsed and admitted (driver, bucket, key prefix, announced size) before any request, so a
 * malformed or foreign reference, or any reference of a namespace without storage, never reaches the store. After
 * the first error that retrying might cure, or that says the store refuses us, the remaining requests are aborted:
 * the caller fails the whole request with it.
 *
 * @throws StorageError `ERR_TOO_MANY_STORAGE_REFERENCES` before any request.
 */
export async function retrieveReferences(
  storage: NamespaceStorage | undefined,
  payloads: readonly Payload[],
  options: RetrieveOptions,
): Promise<Array<RetrieveOutcome | undefined>> {
  const outcomes = new Array<RetrieveOutcome | undefined>(payloads.length);
  const positions: number[] = [];
  payloads.forEach((payload, index) => {
    if (isStorageReference(payload)) positions.push(index);
  });
  if (positions.length > options.maxReferences) {
    throw new StorageError(
      STORAGE_ERROR_CODES.tooManyReferences,
      `request has ${positions.length} storage references; this server retrieves at most ${options.maxReferences} ` +
        'per request (--storage-max-references)',
    );
  }
  const work: Array<{ index: number; claim: S3Claim }> = [];
  for (const index of positions) {
    try {
      const reference = parseStorageReference(payloads[index]!);
      if (storage === undefined) {
        throw new StorageError(
          STORAGE_ERROR_CODES.notConfigured,
          'this namespace has no external storage configured (--storage-bucket or --storage-config)',
        );
      }
      work.push({ index, claim: storage.admit(reference) });
    } catch (err) {
      outcomes[index] = { ok: false, error: asStorageError(err) };
    }
  }
  if (work.length === 0 || storage === undefined) return outcomes;

  const controller = new AbortController();
  const signals = [controller.signal, AbortSignal.timeout(options.timeoutMs)];
  if (options.signal !== undefined) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  let next = 0;
  const runOne = async (): Promise<void> => {
    for (let item = work[next++]; item !== undefined; item = work[next++]) {
      const started = performance.now();
      const object = `${item.claim.bucket}/${item.claim.key}`;
      try {
        // An aborted batch still answers for every reference, without asking the store again.
        if (signal.aborted)
          throw new StorageError(STORAGE_ERROR_CODES.unavailable, 'the store is unavailable; retry later');
        const payload = await storage.retrieve(item.claim, signal);
        const bytes = payload.data?.length ?? 0;
        outcomes[item.index] = { ok: true, payload, object, bytes };
        options.observe?.('ok', (performance.now() - started) / 1000, bytes);
      } catch (err) {
        const error = asStorageError(err);
        outcomes[item.index] = { ok: false, error };
        options.observe?.(error.code, (performance.now() - started) / 1000, 0);
        if (isFatal(error)) controller.abort(error);
      }
    }
  };
  const lanes = Math.min(options.concurrency ?? 4, work.length);
  await Promise.all(Array.from({ length: lanes }, runOne));
  return outcomes;
}

/**
 * True when a storage error concerns the store rather than one reference (down, timed out, refusing our
 * credentials): every other reference would fail the same way, so the request fails as a whole (502/503).
 */
export function isFatal(error: StorageError): boolean {
  return error.code === STORAGE_ERROR_CODES.unavailable || error.code === STORAGE_ERROR_CODES.refused;
}

function asStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  // Anything else is a bug; its message may hold data, so it stays in `cause`.
  return new StorageError(STORAGE_ERROR_CODES.integrity, 'the stored object could not be read', { cause: err });
}
