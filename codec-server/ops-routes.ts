import express, { type Router } from 'express';
import type { KeyProvider } from '../codec/index.js';
import { withDeadline } from './deadline.js';
import { toErrorAnswer } from './error-handler.js';
import { SERVER_ERROR_CODES } from './http-error.js';
import type { ServerLogger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

/** What the operations routes need. */
export interface OpsRoutesDeps {
  readonly provider: KeyProvider;
  readonly metrics: ServerMetrics;
  readonly logger: ServerLogger;
  /** How long the readiness check may wait for the key source. */
  readonly readyTimeoutMs: number;
  /** True once shutdown began: readiness then fails so load balancers stop sending traffic. */
  readonly isShuttingDown: () => boolean;
}

/**
 * `GET /healthz` (the process answers), `GET /readyz` (the key source answers) and `GET /metrics` (Prometheus).
 * Not behind auth: probes and scrapers carry no tokens, and none of these reveal keys or payloads.
 */
export function opsRoutes(deps: OpsRoutesDeps): Router {
  const router = express.Router();
  let lastReady: boolean | undefined;

  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });

  router.get('/readyz', (_req, res) => {
    if (deps.isShuttingDown()) {
      res
        .status(503)
        .json({ status: 'unavailable', error: { code: SERVER_ERROR_CODES.unavailable, message: 'shutting down' } });
      return;
    }
    withDeadline(deps.provider.checkHealth(), deps.readyTimeoutMs).then(
      () => {
        if (lastReady === false) deps.logger.info('key source reachable again: ready');
        lastReady = true;
        res.status(200).json({ status: 'ok' });
      },
      (err: unknown) => {
        const answer = toErrorAnswer(err, { bodyBytes: 0 });
        // Logged on the transition only: probes run every few seconds.
        if (lastReady !== false) {
          deps.logger.warn(
            { code: answer.code, detail: err instanceof Error ? err.message : String(err) },
            'not ready',
          );
        }
        lastReady = false;
        res.status(503).json({ status: 'unavailable', error: { code: answer.code, message: answer.message } });
      },
    );
  });

  router.get('/metrics', (_req, res, next) => {
    deps.metrics.collect().then((text) => {
      res.status(200).type(deps.metrics.contentType).send(text);
    }, next);
  });

  return router;
}
