import type { ServerLogger } from './logger.js';
import type { RequestContext } from './request-context.js';

/** Decode failures listed in one audit line; the count is always complete. */
const MAX_AUDITED_FAILURES = 100;

/** One audit line's fields: who, what, with which key versions, and how it ended. Never payload bytes or secrets. */
export interface AuditEntry {
  readonly caller: string;
  /** From a verified id token (Web UI `Authorization-Extras`), when one was sent. */
  readonly callerDetail?: string;
  readonly namespace: string | null;
  readonly route: string;
  readonly payloads: number;
  /** `keyId:version` of every key version used. */
  readonly keyVersions: readonly string[];
  readonly decodeErrors: ReadonlyArray<{ readonly index: number; readonly code: string }>;
  readonly decodeErrorCount: number;
  /** `bucket/key` of the external storage objects retrieved, when any were (decode and download). */
  readonly storageObjects?: readonly string[];
  readonly status: number;
  readonly errorCode: string | null;
  readonly durationMs: number;
  /** True when the client went away before the answer was sent. */
  readonly aborted: boolean;
}

/** Writes audit lines. */
export type AuditLog = (context: RequestContext, status: number, durationMs: number, aborted: boolean) => void;

/**
 * One JSON line per encode, decode or download request (`"log":"audit"`), built only from the request context: identifiers,
 * counts and codes. Payload bytes, tokens and keys never enter the context, so they cannot reach this line.
 */
export function createAuditLog(logger: ServerLogger): AuditLog {
  const audit = logger.child({ log: 'audit' });
  return (context, status, durationMs, aborted) => {
    const failures = context.decodeFailures ?? [];
    const entry: AuditEntry = {
      caller: context.identity?.subject ?? 'anonymous',
      ...(context.identity?.detail === undefined ? {} : { callerDetail: context.identity.detail }),
      namespace: context.namespace ?? null,
      route: context.route,
      payloads: context.payloadCount ?? 0,
      keyVersions: context.keyVersions ?? [],
      decodeErrors: failures.slice(0, MAX_AUDITED_FAILURES),
      decodeErrorCount: failures.length,
      ...(context.storageObjects === undefined || context.storageObjects.length === 0
        ? {}
        : { storageObjects: context.storageObjects }),
      status,
      errorCode: context.errorCode ?? null,
      durationMs: Math.round(durationMs * 1000) / 1000,
      aborted,
    };
    audit.info(entry, 'codec request');
  };
}
