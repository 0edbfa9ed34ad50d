import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * `/metrics` across `--workers`: a scrape reaches one worker, which asks the primary; the primary gathers every
 * worker's registry (prom-client's cluster aggregator: counters and histograms summed) and answers. So one scrape
 * sees the whole server, whichever worker serves it.
 */

const REQUEST = 'temporal-codec-server:metrics-request';
const RESPONSE = 'temporal-codec-server:metrics-response';
/** prom-client gives workers 5 s to answer the primary; the worker waits a little longer for the primary. */
const TIMEOUT_MS = 7000;

interface MetricsRequest {
  readonly type: typeof REQUEST;
  readonly id: number;
}

interface MetricsResponse {
  readonly type: typeof RESPONSE;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

function isRequest(message: unknown): message is MetricsRequest {
  const candidate = message as Partial<MetricsRequest> | null;
  return typeof candidate === 'object' && candidate?.type === REQUEST && typeof candidate.id === 'number';
}

function isResponse(message: unknown): message is MetricsResponse {
  const candidate = message as Partial<MetricsResponse> | null;
  return typeof candidate === 'object' && candidate?.type === RESPONSE && typeof candidate.id === 'number';
}

/** In the primary: answers workers' requests with the metrics of all workers. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isRequest(message)) return;
    const reply = (answer: { text?: string; error?: string }) => {
      if (worker.isConnected()) worker.send({ type: RESPONSE, id: message.id, ...answer } satisfies MetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/**
 * In a worker: hands `registry` to the primary's aggregator and returns what `/metrics` calls to get the metrics
 * of all workers.
 */
export function clusterMetricsCollector(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's responder to the primary's requests in this worker.
  void new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isResponse(message)) return;
    const entry = waiting.get(message.id);
    if (entry === undefined) return;
    waiting.delete(message.id);
    if (message.text !== undefined) entry.resolve(message.text);
    else entry.reject(new Error(`cluster metrics unavailable: ${message.error ?? 'no answer'}`));
  });

  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('cluster metrics unavailable: the primary did not answer'));
      }, TIMEOUT_MS);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest, undefined, undefined, (err: Error | null) => {
        if (err === null) return;
        waiting.get(id)?.reject(new Error(`cluster metrics unavailable: ${err.message}`));
        waiting.delete(id);
      });
    });
}
