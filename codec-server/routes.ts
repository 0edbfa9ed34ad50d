import express, { type RequestHandler, type Router } from 'express';
import type { MultiNamespaceCodec } from '../codec/index.js';
import { authenticateRequest, type Authenticator } from './auth.js';
import { exchange, type CodecCall } from './codec-exchange.js';
import type { ServerConfig } from './config-types.js';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';
import type { RouteLabel, ServerMetrics } from './metrics.js';
import { requestContext } from './request-context.js';
import { requireJsonBody } from './request-guards.js';
import { sendAnswer } from './send-answer.js';
import { downloadHandler } from './storage/download-route.js';
import { preservesStorageRefs, type StorageStepDeps } from './storage/storage-step.js';

/** Any path ending in `/encode` or `/decode`, as the Go SDK's handler matches them (`/{namespace}/decode` too). */
const CODEC_PATH = /\/(encode|decode)$/;
const DOWNLOAD_PATH = /\/download$/;

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
 * The encode or decode handler after authentication and body parsing (`req.body` parsed): the exchange of
 * `codec-exchange.ts`, answered through express's response.
 */
export function codecHandler(deps: CodecRoutesDeps): RequestHandler {
  return (req, res, next) => {
    const call: CodecCall = {
      action: CODEC_PATH.exec(req.path)?.[1] === 'encode' ? 'encode' : 'decode',
      namespaceHeader: req.get('x-namespace'),
      path: req.path,
      preserveStorageRefs: preservesStorageRefs(req.query),
      body: req.body as unknown,
      context: requestContext(res),
    };
    exchange(deps, call).then((answer) => sendAnswer(res, 200, answer.headers, answer.body), next);
  };
}
