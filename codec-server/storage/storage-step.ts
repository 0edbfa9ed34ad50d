import type { Payload } from '@temporalio/common';
import { STORAGE_ERROR_CODES, StorageError, isStorageReference } from '../../codec/storage/index.js';
import type { DecodeFailure } from '../request-context.js';
import { isFatal, retrieveReferences, type RetrieveOutcome } from './retrieve-references.js';
import type { StorageMetrics } from './storage-metrics.js';
import type { StorageRegistry } from './storage-registry.js';

/** What the codec routes need for external storage. */
export interface StorageStepDeps {
  readonly registry: StorageRegistry;
  readonly metrics: StorageMetrics;
}

/** Payloads with their references replaced by the stored payloads, ready for the codec. */
export interface ResolvedPayloads {
  /** Same length and order as the input; a reference that could not be had stays as it was. */
  readonly payloads: Payload[];
  /** References that could not be had, by position, with the storage error code. */
  readonly failures: DecodeFailure[];
  /** `bucket/key` of every object retrieved, for the audit line. */
  readonly objects: string[];
}

/** Objects named in one audit line; the count of payloads is always complete. */
const MAX_AUDITED_OBJECTS = 20;

/** True for `?preserveStorageRefs=true` (any case, as the Go handler reads it). */
export function preservesStorageRefs(query: unknown): boolean {
  const value = (query as Record<string, unknown> | undefined)?.preserveStorageRefs;
  return typeof value === 'string' && value.toLowerCase() === 'true';
}

/**
 * The storage step of `/decode`: unless `preserve` (`?preserveStorageRefs=true`, what the Web UI sends to render a
 * history without downloading every blob), each reference is replaced by the payload it names. A reference that
 * cannot be had stays as it is and is reported; a store that is down or refuses us fails the request.
 *
 * @throws StorageError `ERR_STORAGE_UNAVAILABLE` (503) or `ERR_STORAGE_REFUSED` (502), `ERR_TOO_MANY_STORAGE_REFERENCES`.
 */
export async function resolveForDecode(
  deps: StorageStepDeps | undefined,
  namespace: string,
  payloads: readonly Payload[],
  preserve: boolean,
): Promise<ResolvedPayloads> {
  const out = payloads.slice();
  if (preserve || !payloads.some(isStorageReference)) {
    if (preserve) deps?.metrics.recordReferences('decode', 'preserved', payloads.filter(isStorageReference).length);
    return { payloads: out, failures: [], objects: [] };
  }
  const outcomes = await retrieve(deps, namespace, payloads);
  const failures: DecodeFailure[] = [];
  const objects: string[] = [];
  let fatal: StorageError | undefined;
  outcomes.forEach((outcome, index) => {
    if (outcome === undefined) return;
    if (outcome.ok) {
      out[index] = outcome.payload;
      if (objects.length < MAX_AUDITED_OBJECTS) objects.push(outcome.object);
      return;
    }
    if (isFatal(outcome.error)) fatal ??= outcome.error;
    failures.push({ index, code: outcome.error.code });
  });
  deps?.metrics.recordReferences('decode', 'retrieved', outcomes.filter((o) => o?.ok === true).length);
  deps?.metrics.recordReferences('decode', 'failed', failures.length);
  if (fatal !== undefined) throw fatal;
  return { payloads: out, failures, objects };
}

/**
 * The storage step of `/download`: every payload must be a reference of the namespace's storage, and each is
 * replaced by the payload it names. Any failure fails the request (the Web UI downloads one payload at a time).
 *
 * @throws StorageError `ERR_STORAGE_NOT_CONFIGURED`, `ERR_NOT_A_STORAGE_REFERENCE` or the first reference's error.
 */
export async function retrieveForDownload(
  deps: StorageStepDeps | undefined,
  namespace: string,
  payloads: readonly Payload[],
): Promise<{ payloads: Payload[]; objects: string[] }> {
  if (deps?.registry.get(namespace) === undefined) {
    throw new StorageError(
      STORAGE_ERROR_CODES.notConfigured,
      `namespace ${JSON.stringify(namespace)} has no external storage configured (--storage-bucket or --storage-config)`,
    );
  }
  const index = payloads.findIndex((payload) => !isStorageReference(payload));
  if (index >= 0) {
    throw new StorageError(
      STORAGE_ERROR_CODES.notReference,
      `payloads[${index}] is not an External Storage reference`,
      {
        context: { field: `payloads[${index}]` },
      },
    );
  }
  const outcomes = await retrieve(deps, namespace, payloads);
  const failed = outcomes.find((outcome) => outcome?.ok === false);
  deps.metrics.recordReferences('download', failed === undefined ? 'retrieved' : 'failed', payloads.length);
  if (failed !== undefined && !failed.ok) throw failed.error;
  const ok = outcomes.filter((outcome): outcome is Extract<RetrieveOutcome, { ok: true }> => outcome?.ok === true);
  return {
    payloads: ok.map((outcome) => outcome.payload),
    objects: ok.slice(0, MAX_AUDITED_OBJECTS).map((o) => o.object),
  };
}

function retrieve(
  deps: StorageStepDeps | undefined,
  namespace: string,
  payloads: readonly Payload[],
): Promise<Array<RetrieveOutcome | undefined>> {
  const limits = deps?.registry.limits ?? { maxReferences: 20, timeoutMs: 10_000 };
  return retrieveReferences(deps?.registry.get(namespace), payloads, {
    maxReferences: limits.maxReferences,
    timeoutMs: limits.timeoutMs,
    ...(deps === undefined
      ? {}
      : { observe: (outcome, seconds, bytes) => deps.metrics.observeRetrieval(outcome, seconds, bytes) }),
  });
}
