import { performance } from 'node:perf_hooks';
import express, { type Express } from 'express';
import { CodecError, ERROR_CODES, type KeyProvider, type MultiNamespaceCodec } from '../codec/index.js';
import { createCodecs } from './codecs.js';
import { createAuditLog } from './audit.js';
import type { CodecServerApp } from './codec-server-app.js';
import { createNoAuthenticator, type Authenticator } from './auth.js';
import type { ServerConfig } from './config-types.js';
import { corsMiddleware } from './cors.js';
import { errorHandler, notFound } from './error-handler.js';
import type { ServerLogger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { opsRoutes } from './ops-routes.js';
import { requestGuards } from './request-guards.js';
import { classifyRoute, codecRoutes } from './routes.js';
import { createStorageMetrics } from './storage/storage-metrics.js';
import type { StorageRegistry } from './storage/storage-registry.js';
import type { StorageStepDeps } from './storage/storage-step.js';
import { requestObserver, type ObserveRequest } from './request-lifecycle.js';

/** Everything the app uses, passed in so tests can swap any of it. */
export interface AppDeps {
  readonly config: ServerConfig;
  /** The key provider shared by all namespaces (readiness checks it too). */
  readonly provider: KeyProvider;
  /** One codec per namespace over `provider`. Default: a new {@link MultiNamespaceCodec} over `provider`. */
  readonly codecs?: MultiNamespaceCodec;
  /** Required unless `config.auth.mode` is `none`. */
  readonly authenticator?: Authenticator;
  readonly logger: ServerLogger;
  readonly metrics: ServerMetrics;
  /** Milliseconds clock for durations. Default `performance.now`. */
  readonly clock?: () => number;
  /** External payload storage per namespace (`/download`, references in `/decode`). Default: none configured. */
  readonly storage?: StorageRegistry;
  /** True once shutdown began (readiness fails). Default: never. */
  readonly isShuttingDown?: () => boolean;
}

/**
 * Builds the codec server's express app without listening (`main.ts` listens; tests drive it with supertest).
 *
 * ```
 * request -> context (metrics, audit) -> CORS -> Host and Origin guards -> /healthz /readyz /metrics
 *                          -> .../encode .../decode: application/json -> auth -> JSON body -> namespace -> codec
 *                          -> .../download: application/json -> auth -> JSON body -> namespace -> storage -> codec
 *                                            -> 404 -> error handler (one JSON error shape)
 * ```
 */
export function createApp(deps: AppDeps): CodecServerApp {
  return createExpressApp(deps);
}

/**
 * {@link createApp}'s express application, for the lean handler in front of it (which needs express's request and
 * response prototypes), with the storage step it shares with that handler.
 *
 * @internal
 */
export function createExpressApp(
  deps: AppDeps,
  shared: { storage?: StorageStepDeps; observe?: ObserveRequest } = {},
): Express {
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const authenticator = deps.authenticator ?? (config.auth.mode === 'none' ? createNoAuthenticator() : undefined);
  if (authenticator === undefined || authenticator.mode !== config.auth.mode) {
    throw new CodecError(
      ERROR_CODES.invalidConfig,
      `createApp needs an authenticator for auth mode ${config.auth.mode}`,
    );
  }
  const codecs = deps.codecs ?? createCodecs(config, deps.provider, metrics);

  const app = express();
  app.disable('x-powered-by');
  // ETags of decode answers would cost a hash of every response body and serve no cache.
  app.set('etag', false);

  const observe = shared.observe ?? requestObserver({ metrics, audit: createAuditLog(logger), clock });
  app.use((req, res, next) => {
    observe(res, classifyRoute(req.path));
    next();
  });
  app.use(corsMiddleware(config.cors));
  app.use(
    requestGuards({
      corsOrigins: config.cors.origins,
      bindHost: config.listen.host,
      allowedHosts: config.listen.allowedHosts,
    }),
  );
  app.use(
    opsRoutes({
      provider: deps.provider,
      metrics,
      logger,
      readyTimeoutMs: config.limits.requestTimeoutMs,
      isShuttingDown: deps.isShuttingDown ?? (() => false),
    }),
  );
  const storage = shared.storage ?? storageStep(deps);
  app.use(codecRoutes({ config, codecs, authenticator, metrics, ...(storage === undefined ? {} : { storage }) }));
  app.use(notFound());
  app.use(errorHandler(logger, config.limits));
  return app;
}

/** The storage step of the codec routes, over the app's storage registry (none: no namespace has storage). */
export function storageStep(deps: AppDeps): StorageStepDeps | undefined {
  return deps.storage === undefined
    ? undefined
    : { registry: deps.storage, metrics: createStorageMetrics(deps.metrics.registry) };
}
