import type { RequestHandler } from 'express';
import type { CorsConfig } from './config-types.js';

/** Response headers a browser page may read: the decode failure report. */
export const EXPOSED_HEADERS = 'X-Codec-Decode-Errors, X-Codec-Decode-Error-Count';
/** Request headers the Web UI sends: JSON, the namespace, and the "pass access token" pair. */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';

/**
 * Cross-origin rules for the Web UI, hand-written because they are few and security-relevant:
 *
 * - Only origins on the allow-list get CORS headers; others get none, and the browser blocks the response.
 * - The exact origin is echoed (never `*` with credentials; config validation refuses that combination), with
 *   `Access-Control-Allow-Credentials: true` when credentials are enabled.
 * - Preflights (`OPTIONS` with `Access-Control-Request-Method`) end here with 204 and never reach authentication:
 *   browsers send them without the `Authorization` header.
 * - `Vary: Origin` on every response, because the answer depends on the origin.
 * - Chrome's Private Network Access preflight is allowed for listed origins, so a hosted UI may call a codec server
 *   on localhost or a private address.
 */
export function corsMiddleware(config: CorsConfig): RequestHandler {
  const headersFor = corsHeaders(config);
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    const headers = headersFor(origin);
    // The first pair is `Vary`, set above so that a `Vary` of another step is kept.
    for (let i = 2; i < headers.length; i += 2) res.setHeader(headers[i]!, headers[i + 1]!);
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (!preflight) {
      next();
      return;
    }
    if (headers.length > 2) {
      res.set({
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': String(config.maxAgeSeconds),
      });
      if (req.get('access-control-request-private-network') === 'true') {
        res.set('Access-Control-Allow-Private-Network', 'true');
      }
    }
    res.status(204).end();
  };
}

/** Response headers as flat name, value pairs (the form `writeHead` takes). */
export type HeaderPairs = readonly string[];

/** Distinct origins whose CORS headers are kept; beyond it they are computed per request. */
const MAX_REMEMBERED_ORIGINS = 64;

/**
 * The CORS headers of a non-preflight answer for a request's `Origin`: `Vary: Origin` always, then the allow-origin,
 * credentials and expose headers for an origin on the allow-list. Computed once per listed origin; an origin that is
 * not listed gets `Vary` alone.
 */
export function corsHeaders(config: CorsConfig): (origin: string | undefined) => HeaderPairs {
  const exact = new Set(config.origins.filter((origin) => origin !== '*'));
  const wildcard = config.origins.includes('*');
  const vary: HeaderPairs = Object.freeze(['Vary', 'Origin']);
  const remembered = new Map<string, HeaderPairs>();
  const build = (origin: string): HeaderPairs => {
    // A listed origin is echoed even when `*` is listed too, so credentials can work for it.
    const allowOrigin = wildcard && !exact.has(origin) && !config.credentials ? '*' : origin;
    return Object.freeze([
      ...vary,
      'Access-Control-Allow-Origin',
      allowOrigin,
      ...(config.credentials ? ['Access-Control-Allow-Credentials', 'true'] : []),
      'Access-Control-Expose-Headers',
      EXPOSED_HEADERS,
    ]);
  };
  return (origin) => {
    if (origin === undefined || !(exact.has(origin) || wildcard)) return vary;
    let headers = remembered.get(origin);
    if (headers === undefined) {
      headers = build(origin);
      if (remembered.size < MAX_REMEMBERED_ORIGINS) remembered.set(origin, headers);
    }
    return headers;
  };
}
