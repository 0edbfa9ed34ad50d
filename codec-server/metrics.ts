import cluster from 'node:cluster';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KeyProviderObserver, UnencryptedObserver } from '../codec/index.js';
import { clusterMetricsCollector } from './cluster-metrics.js';

/** Route labels: a fixed set, so a client cannot create series by inventing paths. */
export type RouteLabel = 'encode' | 'decode' | 'healthz' | 'readyz' | 'metrics' | 'download' | 'other';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Also export Node.js process metrics (CPU, memory, event loop). Default false (tests build many registries). */
  readonly processMetrics?: boolean;
  /** Prefix of every series name. Default `codec_server_`. */
  readonly prefix?: string;
  /**
   * In a `--workers` process, answer `/metrics` for all workers (summed by the primary). Default false; has no effect
   * outside a cluster worker.
   */
  readonly clusterWide?: boolean;
}

/** The codec server's Prometheus series, in a registry of their own (never prom-client's global one). */
export interface ServerMetrics {
  /** This process's series. */
  readonly registry: Registry;
  /** The Prometheus text that `/metrics` serves: this process's series, or every worker's with `clusterWide`. */
  collect(): Promise<string>;
  /** The content type of {@link collect}'s text. */
  readonly contentType: string;
  /** Feeds key cache and key source series; pass it to the key provider. */
  readonly keyProviderObserver: KeyProviderObserver;
  /** Counts one finished HTTP request and observes its duration. */
  recordRequest(route: RouteLabel, status: number, durationSeconds: number): void;
  /** Counts payloads handled by an encode or decode request. */
  recordPayloads(route: 'encode' | 'decode', count: number): void;
  /** Counts codec failures by error code (per payload for decode, per request for encode). */
  recordCodecError(route: 'encode' | 'decode', code: string, count?: number): void;
  /** Counts an unencrypted payload that decode let through (`--unencrypted allow`); pass it to the codec. */
  readonly unencryptedObserver: UnencryptedObserver;
}

/** Creates the server's metrics in a fresh registry. */
export function createMetrics(options: MetricsOptions = {}): ServerMetrics {
  const prefix = options.prefix ?? 'codec_server_';
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'HTTP request duration by route.',
    labelNames: ['route'] as const,
    // Codec work is sub-millisecond when keys are cached; a Vault round trip is milliseconds to seconds.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const payloads = new Counter({
    name: `${prefix}payloads_total`,
    help: 'Payloads received by encode and decode requests.',
    labelNames: ['route'] as const,
    registers,
  });
  const codecErrors = new Counter({
    name: `${prefix}codec_errors_total`,
    help: 'Encode and decode failures by error code (decode counts each failed payload).',
    labelNames: ['route', 'code'] as const,
    registers,
  });
  const cache = new Counter({
    name: `${prefix}key_cache_requests_total`,
    help: 'Key cache lookups: kind is latest (encrypt) or version (decrypt); result is hit, miss or stale.',
    labelNames: ['kind', 'result'] as const,
    registers,
  });
  const unencrypted = new Counter({
    name: `${prefix}unencrypted_payloads_total`,
    help: 'Unencrypted payloads decode let through (--unencrypted allow); 0 before switching to reject.',
    registers,
  });
  const source = new Histogram({
    name: `${prefix}key_source_request_duration_seconds`,
    help: 'Requests to the key source (Vault, keyring file) by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  const collect =
    options.clusterWide === true && cluster.isWorker ? clusterMetricsCollector(registry) : () => registry.metrics();

  return {
    registry,
    collect,
    contentType: registry.contentType,
    keyProviderObserver: {
      cacheHit: (kind) => cache.inc({ kind, result: 'hit' }),
      cacheMiss: (kind) => cache.inc({ kind, result: 'miss' }),
      staleServed: (kind) => cache.inc({ kind, result: 'stale' }),
      sourceRequest: (operation, durationMs, ok) =>
        source.observe({ operation, outcome: ok ? 'ok' : 'error' }, durationMs / 1000),
    },
    recordRequest(route, status, durationSeconds) {
      requests.inc({ route, status: String(status) });
      duration.observe({ route }, durationSeconds);
    },
    recordPayloads(route, count) {
      payloads.inc({ route }, count);
    },
    recordCodecError(route, code, count = 1) {
      codecErrors.inc({ route, code }, count);
    },
    unencryptedObserver: () => unencrypted.inc(),
  };
}
