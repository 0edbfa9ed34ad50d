import { Counter, Histogram, type Registry } from 'prom-client';

/** The storage series of the codec server, registered next to its other series. */
export interface StorageMetrics {
  /** One storage request (one referenced object): `ok` or the error code, its duration, the bytes read. */
  observeRetrieval(outcome: string, seconds: number, bytes: number): void;
  /** References a request left as they were (`preserveStorageRefs=true`, or a failure) or resolved. */
  recordReferences(route: 'decode' | 'download', result: 'retrieved' | 'preserved' | 'failed', count: number): void;
}

/** Creates the storage series in `registry` (once per registry). */
export function createStorageMetrics(registry: Registry, prefix = 'codec_server_'): StorageMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: `${prefix}storage_requests_total`,
    help: 'Requests to external payload storage, one per referenced object, by outcome (ok or error code).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: `${prefix}storage_request_duration_seconds`,
    help: 'Duration of requests to external payload storage by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const bytes = new Counter({
    name: `${prefix}storage_retrieved_bytes_total`,
    help: 'Bytes of stored (sealed) payloads retrieved from external storage.',
    registers,
  });
  const references = new Counter({
    name: `${prefix}storage_references_total`,
    help: 'External storage references seen by decode and download requests, by what became of them.',
    labelNames: ['route', 'result'] as const,
    registers,
  });
  return {
    observeRetrieval(outcome, seconds, read) {
      requests.inc({ outcome });
      duration.observe({ outcome }, seconds);
      if (read > 0) bytes.inc(read);
    },
    recordReferences(route, result, count) {
      if (count > 0) references.inc({ route, result }, count);
    },
  };
}
