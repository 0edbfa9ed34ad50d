import {
  IncomingMessage,
  ServerResponse,
  type IncomingHttpHeaders,
  type RequestListener,
  type ServerOptions,
} from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { performance } from 'node:perf_hooks';
import type { Request, Response } from 'express';
import { createExpressApp, storageStep, type AppDeps } from './app.js';
import { createAuditLog } from './audit.js';
import { createNoAuthenticator, readCredentials, type Credentials } from './auth.js';
import { exchange } from './codec-exchange.js';
import { createCodecs } from './codecs.js';
import { corsHeaders } from './cors.js';
import { answerError } from './error-handler.js';
import { readPayloadsEnvelope } from './payloads-reader.js';
import { jsonBodyError, requestGuard } from './request-guards.js';
import { requestObserver } from './request-lifecycle.js';
import { sendAnswer, sendError } from './send-answer.js';
import { preservesStorageRefs } from './storage/storage-step.js';

/** `POST` paths the lean handler serves; everything else goes to the express app. Same rule as the app's routes. */
const CODEC_PATH = /\/(encode|decode)$/;
/** Body-parser errors as `toErrorAnswer` knows them, so both paths answer alike. */
const tooLarge = () => Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' });
const notJson = () => Object.assign(new Error('invalid JSON'), { status: 400, type: 'entity.parse.failed' });
const NO_CREDENTIALS: Credentials = Object.freeze({});
/** Bodies from this size on are read by `readPayloadsEnvelope` first. */
const READER_MIN_BYTES = 4096;

/**
 * The codec server's request listener: `POST .../encode` and `.../decode` are served by a lean handler, everything
 * else (preflights, other methods, ops routes, 404s) by the express app of {@link createApp}.
 *
 * The lean handler runs the app's steps in the app's order with the same functions, as plain functions of the few
 * headers it reads: request context (metrics and audit), CORS headers, the Host and Origin guards, the JSON content
 * type, authentication, the body (one buffer under the size limit, parsed once), the exchange of
 * `codec-exchange.ts`, and the one error answer of `error-handler.ts`. It answers with one `writeHead` and one `end`,
 * and touches none of express's router, body parser and response helpers.
 * Requests that need more of the body parser (a compressed body, a charset other than UTF-8) or whose target is not
 * a plain path go to the app, which handles them as before.
 */
export function createServerHandler(deps: AppDeps): ServerHandler {
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const codecs = deps.codecs ?? createCodecs(config, deps.provider, metrics);
  const authenticator = deps.authenticator ?? (config.auth.mode === 'none' ? createNoAuthenticator() : undefined);
  const storage = storageStep(deps);
  const observe = requestObserver({ metrics, audit: createAuditLog(logger), clock });
  // createApp refuses a missing or mismatched authenticator; nothing below runs without one.
  const app = createExpressApp(
    { ...deps, codecs, clock, ...(authenticator === undefined ? {} : { authenticator }) },
    { observe, ...(storage === undefined ? {} : { storage }) },
  );
  const auth = authenticator!;
  const exchangeDeps = { config, codecs, metrics, ...(storage === undefined ? {} : { storage }) };
  const corsFor = corsHeaders(config.cors);
  const guard = requestGuard({
    corsOrigins: config.cors.origins,
    bindHost: config.listen.host,
    allowedHosts: config.listen.allowedHosts,
  });
  const limit = config.limits.bodyBytes;
  // Request and response classes that are express's from birth: the server creates every request as one of these,
  // so a request the app serves need not change an object's prototype (which makes V8 drop its optimizations for
  // every object of that shape), as express's own router does.
  class LeanRequest extends IncomingMessage {}
  class LeanResponse extends ServerResponse {}
  Object.setPrototypeOf(LeanRequest.prototype, app.request);
  Object.setPrototypeOf(LeanResponse.prototype, app.response);

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const action = req.method === 'POST' && url.charCodeAt(0) === 0x2f ? CODEC_PATH.exec(path)?.[1] : undefined;
    // Node has built `req.headers` already (it checks `Host` on every HTTP/1.1 request).
    const headers = req.headers;
    if (action === undefined || !plainBody(headers)) {
      app(req as Request, res as Response);
      return;
    }
    const context = observe(res, action as 'encode' | 'decode');
    const origin = single(headers.origin);
    const cors = corsFor(origin);
    const fail = (err: unknown) => {
      // The answer had begun: the only honest signal left is a cut connection.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const answer = answerError(err, logger, config.limits);
      context.errorCode = answer.code;
      sendError(res, answer, cors);
    };
    // The app's order: CORS, the Host/Origin guards, the JSON content type, authentication, the body, the route.
    const refused = guard('POST', headers.host, origin, req.socket) ?? jsonBodyError(headers['content-type']);
    if (refused !== undefined) {
      fail(refused);
      return;
    }
    let credentials: Credentials;
    try {
      credentials =
        auth.mode === 'none'
          ? NO_CREDENTIALS
          : readCredentials(headers.authorization, single(headers['authorization-extras']));
    } catch (err) {
      fail(err);
      return;
    }
    auth.authenticate(credentials).then((identity) => {
      context.identity = identity;
      readJson(req, limit, headers['content-length'], (err, body) => {
        if (err !== undefined) {
          fail(err);
          return;
        }
        exchange(exchangeDeps, {
          action: action as 'encode' | 'decode',
          namespaceHeader: single(headers['x-namespace']),
          path,
          preserveStorageRefs: query !== -1 && preservesStorageRefs(parseQuery(url.slice(query + 1))),
          body,
          context,
        }).then((answer) => sendAnswer(res, 200, answer.headers, answer.body, cors), fail);
      });
    }, fail);
  };
  return Object.assign(listener, {
    serverOptions: { IncomingMessage: LeanRequest, ServerResponse: LeanResponse } as ServerOptions,
  });
}

/** The request listener, and the server options (request and response classes) it is fastest with. */
export type ServerHandler = RequestListener & { readonly serverOptions: ServerOptions };

/** True when the body is neither compressed nor in a charset other than UTF-8 (the body parser's other cases). */
function plainBody(headers: IncomingHttpHeaders): boolean {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = headers['content-type'];
  if (type === undefined || !type.includes('charset')) return true;
  return /charset\s*=\s*"?utf-8"?\s*(?:;|$)/i.test(type);
}

/** A header as `req.get` reads it (Node joins repeats of most headers; a few it keeps as arrays). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Reads and parses a JSON body of at most `limit` bytes into one buffer. An empty body is `{}`, as the body parser
 * makes it; the usual shape of a body of 4 KiB or more is read by `readPayloadsEnvelope`, anything else by
 * `JSON.parse`. Over the limit, the rest is read and dropped (so the connection stays usable) and the answer is a 413.
 */
function readJson(
  req: IncomingMessage,
  limit: number,
  contentLength: string | undefined,
  done: (err: unknown, body?: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let over = Number(contentLength) > limit;
  req.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) over = true;
    if (!over) chunks.push(chunk);
  });
  req.once('error', done);
  req.once('end', () => {
    if (over) return done(tooLarge());
    if (length === 0) return done(undefined, {});
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
    // Below a few KiB JSON.parse is as fast (measured crossover: about 3 KiB).
    const simple = length >= READER_MIN_BYTES ? readPayloadsEnvelope(bytes) : undefined;
    if (simple !== undefined) return done(undefined, simple);
    let text = bytes.toString('utf8');
    // The body parser's decoder drops a byte order mark; so does this.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return done(notJson());
    }
    done(undefined, body);
  });
}
