import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ExternalStorage, Logger, PayloadCodec } from '@temporalio/common';
import { createActivities, type PaymentGateway } from './activities.js';
import { createDataConverter } from './data-converter.js';
import { createFakePaymentGateway } from './fake-payment-gateway.js';
import { failureConverterPath, workflowsPath } from './module-paths.js';

// webpack's progress output says nothing an example user needs; warnings and errors still come through.
const noop = (): void => undefined;
const quietBundlerLogger: Logger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};

/** What {@link createExampleWorker} needs. */
export interface ExampleWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  /** The payload codec; the worker encodes and decodes every payload with it. */
  readonly codec: PayloadCodec;
  /** External storage for large payloads (after the codec). Default: none, every payload stays in the history. */
  readonly externalStorage?: ExternalStorage;
  /** Default: the fake gateway, which declines only its test card. */
  readonly gateway?: PaymentGateway;
  /**
   * A bundle from {@link bundleExampleWorkflows}, to create several workers without bundling (seconds of webpack)
   * each time. Default: bundle at creation.
   */
  readonly workflowBundle?: WorkflowBundleWithSourceMap;
}

/**
 * Bundles the example workflows together with the failure converter (the workflow sandbox loads converters from the
 * bundle, not from the worker's own module graph).
 */
export function bundleExampleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: quietBundlerLogger });
}

/**
 * Creates (does not run) a worker for the example workflows and activities, with the codec registered through the
 * SDK's data converter, so that every payload is encrypted before it leaves the process.
 */
export async function createExampleWorker(options: ExampleWorkerOptions): Promise<Worker> {
  const activities = createActivities({ gateway: options.gateway ?? createFakePaymentGateway() });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle ?? (await bundleExampleWorkflows()),
    activities,
    // The bundle carries the failure converter for the sandbox; the data converter gives it to the worker itself.
    dataConverter: createDataConverter(options.codec, options.externalStorage),
  });
}
