import { pino, type DestinationStream } from 'pino';
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
 *
 * The line is the one `logger.child({ log: 'audit' }).info(entry, 'codec request')` would write, but its fields are
 * written here as JSON text in one pass and the line goes straight to the logger's destination: pino's generic path
 * (redaction of every line, serializers, key-by-key stringification) cost a quarter of a one-payload request. The
 * fields are ours and hold no secret, so there is nothing for redaction to remove. The destination is the logger's
 * own (buffered on stdout, see `createLogger`), so lines stay in order with every other log line and are flushed with
 * them. A destination that wants pino's per-line metadata (a multistream) gets the same fields through pino instead.
 */
export function createAuditLog(logger: ServerLogger): AuditLog {
  const audit = logger.child({ log: 'audit' });
  const write =
    directWriter(audit) ?? ((fields: string) => audit.info(JSON.parse(`{${fields}}`) as AuditEntry, MESSAGE));
  return (context, status, durationMs, aborted) => {
    if (audit.levelVal > INFO) return;
    write(auditFields(context, status, durationMs, aborted));
  };
}

const MESSAGE = 'codec request';
const json = JSON.stringify;
const list = (items: readonly unknown[] | undefined) =>
  items === undefined || items.length === 0 ? '[]' : json(items);

/** The fields of {@link AuditEntry} as JSON object members, in that order; optional ones only when present. */
export function auditFields(context: RequestContext, status: number, durationMs: number, aborted: boolean): string {
  const failures = context.decodeFailures ?? [];
  const listed = failures.length > MAX_AUDITED_FAILURES ? failures.slice(0, MAX_AUDITED_FAILURES) : failures;
  const detail = context.identity?.detail;
  const objects = context.storageObjects;
  return (
    `"caller":${json(context.identity?.subject ?? 'anonymous')}` +
    (detail === undefined ? '' : `,"callerDetail":${json(detail)}`) +
    `,"namespace":${context.namespace === undefined ? 'null' : json(context.namespace)}` +
    // The route is one of a fixed set of plain words.
    `,"route":"${context.route}","payloads":${context.payloadCount ?? 0}` +
    `,"keyVersions":${list(context.keyVersions)},"decodeErrors":${list(listed)}` +
    `,"decodeErrorCount":${failures.length}` +
    (objects === undefined || objects.length === 0 ? '' : `,"storageObjects":${json(objects)}`) +
    `,"status":${status},"errorCode":${context.errorCode === undefined ? 'null' : json(context.errorCode)}` +
    `,"durationMs":${Math.round(durationMs * 1000) / 1000},"aborted":${aborted}`
  );
}

/** Info level, as pino numbers it. */
const INFO = 30;

/** Writes audit fields as pino's line to the logger's destination, or undefined when that is not possible. */
function directWriter(audit: ServerLogger): ((fields: string) => void) | undefined {
  const stream = (audit as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    (DestinationStream & Record<symbol, unknown>) | undefined;
  // The bindings as pino serialized them once (`,"service":"…","log":"audit"`).
  const bindings = (audit as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
  if (stream === undefined || typeof bindings !== 'string' || stream[pino.symbols.needsMetadataGsym] === true) {
    return undefined;
  }
  const clock = isoClock();
  return (fields) => {
    stream.write(`{"level":${INFO},"time":"${clock()}"${bindings},${fields},"msg":"${MESSAGE}"}\n`);
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
