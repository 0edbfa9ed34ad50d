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
  const exact = new Set(config.origins.filter((origin) => origin !== '*'));
  const wildcard = config.origins.includes('*');
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    const allowed = origin !== undefined && (exact.has(origin) || wildcard);
    if (allowed) {
      // A listed origin is echoed even when `*` is listed too, so credentials can work for it.
      res.set('Access-Control-Allow-Origin', wildcard && !exact.has(origin) && !config.credentials ? '*' : origin);
      if (config.credentials) res.set('Access-Control-Allow-Credentials', 'true');
      res.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (!preflight) {
      next();
      return;
    }
    if (allowed) {
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
