import type { Payload } from '@temporalio/common';
import { CodecError, isStorageReference, type MultiNamespaceCodec, type PayloadResult } from '../codec/index.js';
import { authorize } from './auth.js';
import type { ServerConfig } from './config-types.js';
import type { HeaderPairs } from './cors.js';
import { withDeadline } from './deadline.js';
import { isPayloadFailure } from './error-handler.js';
import type { ServerMetrics } from './metrics.js';
import { resolveNamespace } from './namespace.js';
import { parsePayloadsBody, type ParsedPayload } from './payload-json.js';
import { writePayloads, type AnswerPayload } from './payloads-writer.js';
import type { DecodeFailure, RequestContext } from './request-context.js';
import { resolveForDecode, type StorageStepDeps } from './storage/storage-step.js';

/** Entries listed in `X-Codec-Decode-Errors`; the count header always has the total (headers have size limits). */
const MAX_REPORTED_FAILURES = 100;
const NO_HEADERS: HeaderPairs = Object.freeze([]);

/** What an encode or decode exchange needs. */
export interface CodecExchangeDeps {
  readonly config: ServerConfig;
  /** One codec per namespace over the shared key provider. */
  readonly codecs: MultiNamespaceCodec;
  readonly metrics: ServerMetrics;
  /** External storage for reference retrieval in `/decode`; without it no namespace has storage. */
  readonly storage?: StorageStepDeps;
}

/** One authenticated encode or decode request, as either HTTP front end read it. */
export interface CodecCall {
  readonly action: 'encode' | 'decode';
  /** The `X-Namespace` header, if sent. */
  readonly namespaceHeader: string | undefined;
  /** The request path (without the query), for `/{namespace}/decode`. */
  readonly path: string;
  /** `?preserveStorageRefs=true` (decode only). */
  readonly preserveStorageRefs: boolean;
  /** The parsed JSON body. */
  readonly body: unknown;
  /** The request's context; its identity is set (authentication ran). */
  readonly context: RequestContext;
}

/** A successful answer: the JSON body and the headers it comes with (the decode failure report). */
export interface CodecAnswer {
  readonly body: Buffer;
  readonly headers: HeaderPairs;
}

/**
 * The protocol of `POST .../encode` and `POST .../decode` after authentication and body parsing: namespace,
 * permission, payload checks, storage references, the codec, and the answer. Both front ends (the express route and
 * the lean handler) run this and only write what it returns.
 *
 * @throws HttpError, CodecError or StorageError, which the error handler turns into the JSON error answer.
 */
export function exchange(deps: CodecExchangeDeps, call: CodecCall): Promise<CodecAnswer> {
  return call.action === 'encode' ? encode(deps, call) : decode(deps, call);
}

/** Validates, resolves and authorizes a codec request; returns the parsed payloads and the namespace's codec. */
function prepare(deps: CodecExchangeDeps, call: CodecCall) {
  const { context } = call;
  const namespace = resolveNamespace(call.namespaceHeader, call.path, deps.config.namespaces);
  context.namespace = namespace;
  const identity = context.identity;
  if (identity === undefined) throw new Error('authentication did not run');
  authorize(identity, namespace, call.action);
  const entries = parsePayloadsBody(call.body, deps.config.limits.maxPayloads);
  context.payloadCount = entries.length;
  deps.metrics.recordPayloads(call.action, entries.length);
  return { context, entries, codec: deps.codecs.forNamespace(namespace) };
}

/**
 * The JSON answer for each payload's result: a payload the codec left untouched is answered exactly as received
 * (plain payloads, storage references, other codecs' output), or as retrieved from storage; one it sealed or opened
 * in protojson form.
 */
function answerOf(
  entry: ParsedPayload,
  result: PayloadResult & { ok: true },
  versions: Set<string>,
  input: Payload = entry.payload,
): AnswerPayload {
  if (result.key === undefined) return input === entry.payload ? JSON.stringify(entry.json) : input;
  versions.add(`${result.key.keyId}:${result.key.version}`);
  return result.payload;
}

async function decode(deps: CodecExchangeDeps, call: CodecCall): Promise<CodecAnswer> {
  const { context, entries, codec } = prepare(deps, call);
  const inputs = entries.map((entry) => entry.payload);
  // References become the (sealed) payloads they name, unless the caller asked to keep them.
  const stored = inputs.some(isStorageReference)
    ? await resolveForDecode(deps.storage, context.namespace ?? '', inputs, call.preserveStorageRefs)
    : undefined;
  const payloads = stored?.payloads ?? inputs;
  if (stored !== undefined) context.storageObjects = stored.objects;
  const results =
    entries.length === 0 ? [] : await withDeadline(codec.decodeSettled(payloads), deps.config.limits.requestTimeoutMs);
  const out = new Array<AnswerPayload>(entries.length);
  const failures: DecodeFailure[] = stored === undefined ? [] : [...stored.failures];
  const versions = new Set<string>();
  let fatal: CodecError | undefined;
  for (let index = 0; index < results.length; index++) {
    const result = results[index]!;
    const entry = entries[index]!;
    if (result.ok) {
      out[index] = answerOf(entry, result, versions, payloads[index]);
      continue;
    }
    out[index] = JSON.stringify(entry.json);
    deps.metrics.recordCodecError('decode', result.error.code);
    if (isPayloadFailure(result.error)) failures.push({ index, code: result.error.code });
    else fatal ??= result.error;
  }
  context.keyVersions = sortedVersions(versions);
  failures.sort((a, b) => a.index - b.index);
  context.decodeFailures = failures;
  // One payload that cannot be decoded for lack of a key source means none can: let the client retry the request.
  if (fatal !== undefined) throw fatal;
  const headers =
    failures.length === 0
      ? NO_HEADERS
      : [
          'X-Codec-Decode-Errors',
          JSON.stringify(failures.slice(0, MAX_REPORTED_FAILURES)),
          'X-Codec-Decode-Error-Count',
          String(failures.length),
        ];
  return { body: writePayloads(out), headers };
}

async function encode(deps: CodecExchangeDeps, call: CodecCall): Promise<CodecAnswer> {
  const { context, entries, codec } = prepare(deps, call);
  const results =
    entries.length === 0
      ? []
      : await withDeadline(
          codec.encodeSettled(entries.map((entry) => entry.payload)),
          deps.config.limits.requestTimeoutMs,
        );
  const out = new Array<AnswerPayload>(entries.length);
  const versions = new Set<string>();
  for (let index = 0; index < results.length; index++) {
    const result = results[index]!;
    if (!result.ok) {
      // Encoding is all or nothing: a request whose payloads cannot all be sealed gets no answer but the error.
      deps.metrics.recordCodecError('encode', result.error.code);
      throw explainEncodeError(result.error, context.namespace ?? '');
    }
    out[index] = answerOf(entries[index]!, result, versions);
  }
  context.keyVersions = sortedVersions(versions);
  return { body: writePayloads(out), headers: NO_HEADERS };
}

function sortedVersions(versions: Set<string>): readonly string[] {
  return versions.size <= 1 ? [...versions] : [...versions].sort();
}

/** The codec's terse "Unknown key" becomes an instruction: the server never creates Vault keys itself. */
function explainEncodeError(err: unknown, namespace: string): unknown {
  if (!(err instanceof CodecError) || err.code !== 'ERR_UNKNOWN_KEY') return err;
  return new CodecError(err.code, `namespace ${JSON.stringify(namespace)} has no encryption key yet; create it first`, {
    cause: err,
    context: err.context,
  });
}
