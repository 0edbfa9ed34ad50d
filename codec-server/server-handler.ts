import { IncomingMessage, ServerResponse, type RequestListener, type ServerOptions } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, Response } from 'express';
import { createExpressApp, storageStep, type AppDeps } from './app.js';
import { createAuditLog } from './audit.js';
import { authenticateRequest, createNoAuthenticator } from './auth.js';
import { createCodecs } from './codecs.js';
import { corsMiddleware } from './cors.js';
import { errorHandler } from './error-handler.js';
import { requestGuards, requireJsonBody } from './request-guards.js';
import { observeRequest } from './request-lifecycle.js';
import { codecHandler } from './routes.js';

/** `POST` paths the lean handler serves; everything else goes to the express app. Same rule as the app's routes. */
const CODEC_PATH = /\/(encode|decode)$/;
/** Body-parser errors as `toErrorAnswer` knows them, so both paths answer alike. */
const tooLarge = () => Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' });
const notJson = () => Object.assign(new Error('invalid JSON'), { status: 400, type: 'entity.parse.failed' });

/**
 * The codec server's request listener: `POST .../encode` and `.../decode` are served by a lean handler, everything
 * else (preflights, other methods, ops routes, 404s) by the express app of {@link createApp}.
 *
 * The lean handler runs the same steps as the app, with the same functions (request context, metrics and audit; CORS;
 * the Host and Origin guards; the JSON content type; authentication; the codec route; the error handler), on the same request and response objects express would give
 * them, but without express's router and body parser: it reads the body into one buffer under the size limit and
 * parses it once. Requests that need more of the body parser (a compressed body, a charset other than UTF-8) go to
 * the app, which handles them as before.
 */
export function createServerHandler(deps: AppDeps): ServerHandler {
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const codecs = deps.codecs ?? createCodecs(config, deps.provider, metrics);
  const authenticator = deps.authenticator ?? (config.auth.mode === 'none' ? createNoAuthenticator() : undefined);
  // createApp refuses a missing or mismatched authenticator; nothing below runs without one.
  const storage = storageStep(deps);
  const app = createExpressApp(
    { ...deps, codecs, clock, ...(authenticator === undefined ? {} : { authenticator }) },
    storage === undefined ? {} : { storage },
  );
  const lifecycle = { metrics, audit: createAuditLog(logger), clock };
  const cors = corsMiddleware(config.cors);
  const authenticate = authenticateRequest(authenticator!);
  const guards = requestGuards({
    corsOrigins: config.cors.origins,
    bindHost: config.listen.host,
    allowedHosts: config.listen.allowedHosts,
  });
  const requireJson = requireJsonBody();
  const route = codecHandler({
    config,
    codecs,
    authenticator: authenticator!,
    metrics,
    ...(storage === undefined ? {} : { storage }),
  });
  const onError = errorHandler(logger, config.limits);
  const limit = config.limits.bodyBytes;
  // Request and response classes that are express's from birth: the server creates every request as one of these,
  // so the lean path need not change an object's prototype per request (which makes V8 drop its optimizations for
  // every object of that shape), as express's own router does.
  class LeanRequest extends IncomingMessage {}
  class LeanResponse extends ServerResponse {}
  Object.setPrototypeOf(LeanRequest.prototype, app.request);
  Object.setPrototypeOf(LeanResponse.prototype, app.response);

  const listener = (message: IncomingMessage, response: ServerResponse) => {
    const url = message.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const action = message.method === 'POST' ? CODEC_PATH.exec(path)?.[1] : undefined;
    if (action === undefined || !plainBody(message)) {
      app(message as Request, response as Response);
      return;
    }
    // What express's app.handle does before routing: the same prototypes give the middlewares the same API (already
    // there when the server was created with this handler's classes).
    const req = (message instanceof LeanRequest ? message : Object.setPrototypeOf(message, app.request)) as Request;
    const res = (
      response instanceof LeanResponse ? response : Object.setPrototypeOf(response, app.response)
    ) as Response;
    req.res = res;
    res.req = req;
    req.originalUrl = url;
    res.locals = Object.create(null) as Response['locals'];
    observeRequest(res, action as 'encode' | 'decode', lifecycle);
    const fail = (err: unknown) =>
      onError(err, req, res, () => {
        // The answer had begun: the only honest signal left is a cut connection.
        res.destroy();
      });
    const next: NextFunction = (err?: unknown) => (err === undefined ? undefined : fail(err));
    // The app's order: CORS, the Host/Origin guards, the JSON content type, authentication, the body, the route.
    const steps = [cors, guards, requireJson, authenticate];
    const run = (index: number): void => {
      const step = steps[index];
      if (step === undefined) {
        readJson(req, limit).then((body) => {
          req.body = body;
          void route(req, res, next);
        }, fail);
        return;
      }
      void step(req, res, (err?: unknown) => (err === undefined ? run(index + 1) : fail(err)));
    };
    run(0);
  };
  return Object.assign(listener, {
    serverOptions: { IncomingMessage: LeanRequest, ServerResponse: LeanResponse } as ServerOptions,
  });
}

/** The request listener, and the server options (request and response classes) it is fastest with. */
export type ServerHandler = RequestListener & { readonly serverOptions: ServerOptions };

/** True when the body is neither compressed nor in a charset other than UTF-8 (the body parser's other cases). */
function plainBody(req: IncomingMessage): boolean {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = req.headers['content-type'];
  if (type === undefined || !type.includes('charset')) return true;
  return /charset\s*=\s*"?utf-8"?\s*(?:;|$)/i.test(type);
}

/**
 * Reads and parses a JSON body of at most `limit` bytes into one buffer. An empty body is `{}`, as the body parser
 * makes it. Over the limit, the rest is read and dropped (so the connection stays usable) and the answer is a 413.
 */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let length = 0;
    let over = declared > limit;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (over) return reject(tooLarge());
      if (length === 0) return resolve({});
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)).toString('utf8');
      // The body parser's decoder drops a byte order mark; so does this.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(notJson());
      }
    });
  });
}
