import type { Payload } from '@temporalio/common';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { CodecError, METADATA_KEYS, isEncrypted } from '../codec/index.js';
import { authenticateRequest, authorize, type Authenticator } from './auth.js';
import type { CodecRegistry } from './codec-registry.js';
import type { ServerConfig } from './config-types.js';
import { withDeadline } from './deadline.js';
import { isPayloadFailure } from './error-handler.js';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';
import type { RouteLabel, ServerMetrics } from './metrics.js';
import { resolveNamespace } from './namespace.js';
import { isStorageReference, parsePayloadsBody, payloadToJson, type JsonObject } from './payload-json.js';
import { requestContext, type DecodeFailure } from './request-context.js';
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
  readonly codecs: CodecRegistry;
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
 * parameters are ignored; any Content-Type is parsed as JSON) and `POST .../download` (storage references in, the
 * payloads they name out, decoded), 405 with `Allow: POST` for other methods.
 */
export function codecRoutes(deps: CodecRoutesDeps): Router {
  const router = express.Router();
  // Lenient about Content-Type on purpose: the Go handler ignores it, and clients send none or text/plain.
  const parseJson = express.json({ type: () => true, limit: deps.config.limits.bodyBytes, strict: false });
  const authenticate = authenticateRequest(deps.authenticator);
  router.post(CODEC_PATH, authenticate, parseJson, handle(deps));
  router.post(DOWNLOAD_PATH, authenticate, parseJson, downloadHandler(deps));
  router.all([CODEC_PATH, DOWNLOAD_PATH], (req, _res, next) => {
    next(
      new HttpError(405, SERVER_ERROR_CODES.methodNotAllowed, `${req.method} is not allowed; use POST`, {
        Allow: 'POST',
      }),
    );
  });
  return router;
}

function handle(deps: CodecRoutesDeps): RequestHandler {
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
  return { context, entries, codec: deps.codecs.get(namespace) };
}

async function decode(deps: CodecRoutesDeps, req: Request, res: Response): Promise<void> {
  const { context, entries, codec } = prepare(deps, req, res, 'decode');
  const out: JsonObject[] = entries.map((entry) => entry.json);
  // References become the (sealed) payloads they name, unless the caller asked to keep them.
  const stored = await resolveForDecode(
    deps.storage,
    context.namespace ?? '',
    entries.map((entry) => entry.payload),
    preservesStorageRefs(req.query),
  );
  context.storageObjects = stored.objects;
  // Only our own encrypted payloads go to the codec; everything else (plain payloads, storage references, other
  // codecs' output) is answered exactly as received, a retrieved plain payload as retrieved.
  const positions: number[] = [];
  const sealed: Payload[] = [];
  stored.payloads.forEach((payload, index) => {
    if (!isStorageReference(payload) && isEncrypted(payload)) {
      positions.push(index);
      sealed.push(payload);
    } else if (payload !== entries[index]?.payload) {
      out[index] = payloadToJson(payload);
    }
  });
  const failures: DecodeFailure[] = [...stored.failures];
  const versions = new Set<string>();
  let fatal: CodecError | undefined;
  if (sealed.length > 0) {
    const results = await withDeadline(codec.decodeSettled(sealed), deps.config.limits.requestTimeoutMs);
    results.forEach((result, k) => {
      const index = positions[k] ?? -1;
      if (result.ok) {
        out[index] = payloadToJson(result.payload);
        if (result.header !== undefined) versions.add(`${result.header.keyId}:${result.header.version}`);
        return;
      }
      deps.metrics.recordCodecError('decode', result.error.code);
      if (isPayloadFailure(result.error)) failures.push({ index, code: result.error.code });
      else fatal ??= result.error;
    });
  }
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
  const out: JsonObject[] = entries.map((entry) => entry.json);
  // Storage references point at data stored elsewhere; they stay readable by the storage driver.
  const positions = entries.flatMap((entry, index) => (isStorageReference(entry.payload) ? [] : [index]));
  let encoded: Payload[] = [];
  if (positions.length > 0) {
    try {
      const plain = positions.map((index) => entries[index]?.payload ?? {});
      encoded = await withDeadline(codec.encode(plain), deps.config.limits.requestTimeoutMs);
    } catch (err) {
      if (err instanceof CodecError) deps.metrics.recordCodecError('encode', err.code);
      throw explainEncodeError(err, context.namespace ?? '');
    }
  }
  const versions = new Set<string>();
  encoded.forEach((payload, k) => {
    out[positions[k] ?? -1] = payloadToJson(payload);
    versions.add(keyVersionOf(payload));
  });
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

function keyVersionOf(payload: Payload): string {
  const text = (key: string) => Buffer.from(payload.metadata?.[key] ?? new Uint8Array(0)).toString('utf8');
  return `${text(METADATA_KEYS.keyId)}:${text(METADATA_KEYS.keyVersion)}`;
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
