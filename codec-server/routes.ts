import type { Payload } from '@temporalio/common';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { CodecError, type MultiNamespaceCodec, type PayloadResult } from '../codec/index.js';
import { authenticateRequest, authorize, type Authenticator } from './auth.js';
import type { ServerConfig } from './config-types.js';
import { withDeadline } from './deadline.js';
import { isPayloadFailure } from './error-handler.js';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';
import type { RouteLabel, ServerMetrics } from './metrics.js';
import { resolveNamespace } from './namespace.js';
import { parsePayloadsBody, payloadToJson, type JsonObject, type ParsedPayload } from './payload-json.js';
import { requestContext, type DecodeFailure } from './request-context.js';
import { requireJsonBody } from './request-guards.js';
import { downloadHandler } from './storage/download-route.js';
import { preservesStorageRefs, resolveForDecode, type StorageStepDeps } from './storage/storage-step.js';

/** Any path ending in `/encode` or `/decode`, as the Go SDK's handler matches them (`/{namespace}/decode` too). */
const CODEC_PATH = /\/(encode|decode)$/;
const DOWNLOAD_PATH = /\/download$/;
/** Entries listed in `X-Codec-Decode-Errors`; the count header always has the total (headers have size limits). */
const MAX_REPORTED_FAILURES = 100;

/** What the encode and decode routes need. */
export interface CodecRoutesDeps {
  readonly config: ServerConfig;
  /** One codec per namespace over the shared key provider. */
  readonly codecs: MultiNamespaceCodec;
  readonly authenticator: Authenticator;
  readonly metrics: ServerMetrics;
  /** External storage for `/download` and reference retrieval in `/decode`; without it no namespace has storage. */
  readonly storage?: StorageStepDeps;
}

/** The metrics and audit label of a path; a fixed set, whatever the client sends. */
export function classifyRoute(path: string): RouteLabel {
  const action = CODEC_PATH.exec(path)?.[1];
  if (action === 'encode' || action === 'decode') return action;
  if (DOWNLOAD_PATH.test(path)) return 'download';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path.slice(1) as RouteLabel;
  return 'other';
}

/**
 * `POST .../encode`, `POST .../decode` (`?preserveStorageRefs=true` leaves storage references unresolved; other query
 * parameters are ignored; `Content-Type: application/json` required) and `POST .../download` (storage references in,
 * the payloads they name out, decoded), 405 with `Allow: POST` for other methods.
 */
export function codecRoutes(deps: CodecRoutesDeps): Router {
  const router = express.Router();
  // The type was checked by requireJsonBody (the CLI, the Web UI and the SDKs' remote codecs all send JSON).
  const parseJson = express.json({ type: () => true, limit: deps.config.limits.bodyBytes, strict: false });
  const authenticate = authenticateRequest(deps.authenticator);
  router.post(CODEC_PATH, requireJsonBody(), authenticate, parseJson, codecHandler(deps));
  router.post(DOWNLOAD_PATH, requireJsonBody(), authenticate, parseJson, downloadHandler(deps));
  router.all([CODEC_PATH, DOWNLOAD_PATH], (req, _res, next) => {
    next(
      new HttpError(405, SERVER_ERROR_CODES.methodNotAllowed, `${req.method} is not allowed; use POST`, {
        Allow: 'POST',
      }),
    );
  });
  return router;
}

/**
 * The encode or decode handler after authentication and body parsing (`req.body` parsed); also run by the lean
 * handler of `server-handler.ts`.
 */
export function codecHandler(deps: CodecRoutesDeps): RequestHandler {
  return (req, res, next) => {
    const action = CODEC_PATH.exec(req.path)?.[1] === 'encode' ? 'encode' : 'decode';
    const run = action === 'encode' ? encode : decode;
    run(deps, req, res).catch(next);
  };
}

/** Validates, resolves and authorizes a codec request; returns the parsed payloads and the namespace's codec. */
function prepare(deps: CodecRoutesDeps, req: Request, res: Response, action: 'encode' | 'decode') {
  const context = requestContext(res);
  const namespace = resolveNamespace(req, deps.config.namespaces);
  context.namespace = namespace;
  const identity = context.identity;
  if (identity === undefined) throw new Error('authentication middleware did not run');
  authorize(identity, namespace, action);
  const entries = parsePayloadsBody(req.body, deps.config.limits.maxPayloads);
  context.payloadCount = entries.length;
  deps.metrics.recordPayloads(action, entries.length);
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
): JsonObject {
  if (result.key === undefined) return input === entry.payload ? entry.json : payloadToJson(input);
  versions.add(`${result.key.keyId}:${result.key.version}`);
  return payloadToJson(result.payload);
}

async function decode(deps: CodecRoutesDeps, req: Request, res: Response): Promise<void> {
  const { context, entries, codec } = prepare(deps, req, res, 'decode');
  // References become the (sealed) payloads they name, unless the caller asked to keep them.
  const stored = await resolveForDecode(
    deps.storage,
    context.namespace ?? '',
    entries.map((entry) => entry.payload),
    preservesStorageRefs(req.query),
  );
  context.storageObjects = stored.objects;
  const results =
    entries.length === 0
      ? []
      : await withDeadline(codec.decodeSettled(stored.payloads), deps.config.limits.requestTimeoutMs);
  const out = new Array<JsonObject>(entries.length);
  const failures: DecodeFailure[] = [...stored.failures];
  const versions = new Set<string>();
  let fatal: CodecError | undefined;
  results.forEach((result, index) => {
    const entry = entries[index]!;
    if (result.ok) {
      out[index] = answerOf(entry, result, versions, stored.payloads[index]);
      return;
    }
    out[index] = entry.json;
    deps.metrics.recordCodecError('decode', result.error.code);
    if (isPayloadFailure(result.error)) failures.push({ index, code: result.error.code });
    else fatal ??= result.error;
  });
  context.keyVersions = [...versions].sort();
  failures.sort((a, b) => a.index - b.index);
  context.decodeFailures = failures;
  // One payload that cannot be decoded for lack of a key source means none can: let the client retry the request.
  if (fatal !== undefined) throw fatal;
  if (failures.length > 0) {
    res.set('X-Codec-Decode-Errors', JSON.stringify(failures.slice(0, MAX_REPORTED_FAILURES)));
    res.set('X-Codec-Decode-Error-Count', String(failures.length));
  }
  sendPayloads(res, out);
}

async function encode(deps: CodecRoutesDeps, req: Request, res: Response): Promise<void> {
  const { context, entries, codec } = prepare(deps, req, res, 'encode');
  const results =
    entries.length === 0
      ? []
      : await withDeadline(
          codec.encodeSettled(entries.map((entry) => entry.payload)),
          deps.config.limits.requestTimeoutMs,
        );
  const out = new Array<JsonObject>(entries.length);
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
  context.keyVersions = [...versions].sort();
  sendPayloads(res, out);
}

/** The codec's terse "Unknown key" becomes an instruction: the server never creates Vault keys itself. */
function explainEncodeError(err: unknown, namespace: string): unknown {
  if (!(err instanceof CodecError) || err.code !== 'ERR_UNKNOWN_KEY') return err;
  return new CodecError(err.code, `namespace ${JSON.stringify(namespace)} has no encryption key yet; create it first`, {
    cause: err,
    context: err.context,
  });
}

/**
 * Writes `{"payloads":[...]}` straight to the socket. Express's `res.json` would stringify, then copy the string into
 * a Buffer before writing it; on a 100-payload batch that copy is a measurable share of the request.
 */
function sendPayloads(res: Response, payloads: readonly JsonObject[]): void {
  const body = JSON.stringify({ payloads });
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
