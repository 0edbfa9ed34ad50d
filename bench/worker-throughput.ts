import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startTemporalDevServer } from '../harness/temporal-dev-server.js';
import { projectRoot } from '../harness/tools.js';
import type * as ExampleClient from '../worker-example/client.js';
import type * as ExampleWorker from '../worker-example/worker.js';

// The worker example as built by `npm run build` (its workflow bundle needs the compiled failure converter next to it).
type ClientModule = typeof ExampleClient;
type WorkerModule = typeof ExampleWorker;
const example = <T>(name: string) =>
  import(pathToFileURL(join(projectRoot, 'dist', 'worker-example', name)).href) as Promise<T>;

/** Workflows per second of the worker example, with one codec or none. */
export interface WorkerFigures {
  readonly codec: string;
  readonly workflowsPerSec: number;
  readonly workflows: number;
}

/** Passes payloads through untouched: the worker example without encryption. */
const identity: PayloadCodec = { encode: (p) => Promise.resolve(p), decode: (p) => Promise.resolve(p) };

/**
 * The example's order workflow (start, signal, activity, result, query) run `perRound` times, `concurrency` at a
 * time, on a real `temporal server start-dev`, by a worker and a client with the given codec and with none. Rounds
 * alternate between the two (the machine's speed drifts) and each figure is the median of its rounds.
 */
export async function measureWorkerThroughput(options: {
  readonly codec: PayloadCodec;
  readonly codecName: string;
  readonly rounds: number;
  readonly perRound: number;
  readonly concurrency: number;
  readonly log: (line: string) => void;
}): Promise<WorkerFigures[]> {
  const { createExampleClient, runOrder } = await example<ClientModule>('client.js');
  const { bundleExampleWorkflows, createExampleWorker } = await example<WorkerModule>('worker.js');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [server, workflowBundle] = await Promise.all([startTemporalDevServer(), bundleExampleWorkflows()]);
  const samples: Record<string, number[]> = {};
  try {
    const modes: Array<[string, PayloadCodec]> = [
      ['none', identity],
      [options.codecName, options.codec],
    ];
    for (let round = 0; round < options.rounds; round++) {
      for (const [name, codec] of modes) {
        const taskQueue = `bench-${name}-${round}`;
        const workerConnection = await NativeConnection.connect({ address: server.address });
        const worker = await createExampleWorker({
          connection: workerConnection,
          namespace: server.namespace,
          taskQueue,
          codec,
          workflowBundle,
        });
        const running = worker.run();
        const connection = await Connection.connect({ address: server.address });
        const client = createExampleClient(connection, server.namespace, codec);
        try {
          let next = 0;
          const started = performance.now();
          const lane = async () => {
            while (next < options.perRound) {
              const n = next++;
              const orderId = `${taskQueue}-${n}`;
              await runOrder(
                client,
                {
                  orderId,
                  customer: `customer ${n}`,
                  cardNumber: '4242424242424242',
                  lines: [{ sku: 'sku-1', quantity: 2, unitPriceCents: 1250 }],
                },
                { approver: 'bench', note: 'ok' },
                { taskQueue },
              );
            }
          };
          await Promise.all(Array.from({ length: options.concurrency }, lane));
          (samples[name] ??= []).push(options.perRound / ((performance.now() - started) / 1000));
        } finally {
          await connection.close();
          worker.shutdown();
          await running;
          await workerConnection.close();
        }
      }
    }
  } finally {
    await server.stop();
  }
  return Object.entries(samples).map(([codec, rates]) => {
    const sorted = [...rates].sort((a, b) => a - b);
    const figures = { codec, workflowsPerSec: sorted[Math.floor(sorted.length / 2)]!, workflows: options.perRound };
    options.log(
      `worker example, ${options.concurrency} workflows at a time: codec ${codec.padEnd(16)} ${figures.workflowsPerSec.toFixed(1)} workflows/s`,
    );
    return figures;
  });
}
