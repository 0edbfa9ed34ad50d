import { pino, type DestinationStream } from 'pino';
import type { ServerLogger } from './logger.js';
import type { RequestContext } from './request-context.js';

/** Decode failures listed in one audit line; the count is always complete. */
const MAX_AUDITED_FAILURES = 100;

/** One audit line's fields: who, what, with which key versions, and how it ended. Never payload bytes or secrets. */
export interface AuditEntry {
  readonly caller: string;
  /** From a verified id token (Web UI `Authorization-Extras`), when one was sent. */
  readonly callerDetail: string | undefined;
  readonly namespace: string | null;
  readonly route: string;
  readonly payloads: number;
  /** `keyId:version` of every key version used. */
  readonly keyVersions: readonly string[];
  readonly decodeErrors: ReadonlyArray<{ readonly index: number; readonly code: string }>;
  readonly decodeErrorCount: number;
  /** `bucket/key` of the external storage objects retrieved, when any were (decode and download). */
  readonly storageObjects: readonly string[] | undefined;
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
 *
 * The line is the one `logger.child({ log: 'audit' }).info(entry, 'codec request')` would write, but serialized here
 * in one `JSON.stringify` of a flat object and handed straight to the logger's destination: pino's generic path
 * (redaction of every line, serializers, key-by-key stringification) cost a quarter of a one-payload request. The
 * fields are ours and hold no secret, so there is nothing for redaction to remove. The destination is the logger's
 * own (buffered on stdout, see `createLogger`), so lines stay in order with every other log line and are flushed with
 * them. A destination that wants pino's per-line metadata (a multistream) gets the line through pino instead.
 */
export function createAuditLog(logger: ServerLogger): AuditLog {
  const audit = logger.child({ log: 'audit' });
  const write = directWriter(audit);
  return (context, status, durationMs, aborted) => {
    if (!audit.isLevelEnabled('info')) return;
    const failures = context.decodeFailures ?? [];
    // Optional fields left undefined are omitted by JSON.stringify (and by pino).
    const entry: AuditEntry = {
      caller: context.identity?.subject ?? 'anonymous',
      callerDetail: context.identity?.detail,
      namespace: context.namespace ?? null,
      route: context.route,
      payloads: context.payloadCount ?? 0,
      keyVersions: context.keyVersions ?? [],
      decodeErrors: failures.length > MAX_AUDITED_FAILURES ? failures.slice(0, MAX_AUDITED_FAILURES) : failures,
      decodeErrorCount: failures.length,
      storageObjects: context.storageObjects?.length ? context.storageObjects : undefined,
      status,
      errorCode: context.errorCode ?? null,
      durationMs: Math.round(durationMs * 1000) / 1000,
      aborted,
    };
    if (write === undefined) audit.info(entry, 'codec request');
    else write(entry);
  };
}

/** Info level, as pino numbers it. */
const INFO = 30;

/** Writes an audit entry as pino's line to the logger's destination, or undefined when that is not possible. */
function directWriter(audit: ServerLogger): ((entry: AuditEntry) => void) | undefined {
  const stream = (audit as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    (DestinationStream & Record<symbol, unknown>) | undefined;
  // The bindings as pino serialized them once (`,"service":"…","log":"audit"`).
  const bindings = (audit as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
  if (stream === undefined || typeof bindings !== 'string' || stream[pino.symbols.needsMetadataGsym] === true) {
    return undefined;
  }
  const clock = isoClock();
  return (entry) => {
    const fields = JSON.stringify(entry);
    stream.write(`{"level":${INFO},"time":"${clock()}"${bindings},${fields.slice(1, -1)},"msg":"codec request"}\n`);
  };
}

/** The current time as ISO 8601 (pino's `isoTime`), formatted once per millisecond. */
function isoClock(): () => string {
  let at = -1;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== at) {
      at = now;
      text = new Date(now).toISOString();
    }
    return text;
  };
}
