import { Client } from '@temporalio/client';
import type { Connection, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { ExternalStorage, PayloadCodec } from '@temporalio/common';
import { createDataConverter } from './data-converter.js';
import type { Approval, ArchivedDocument, Order, OrderReceipt, OrderStatus, ScannedDocument } from './model.js';
import { approveOrder, archiveDocument, orderStatus, processOrder } from './workflows.js';

/** Creates a client whose data converter matches the worker's (same codec, failure converter and storage). */
export function createExampleClient(
  connection: Connection,
  namespace: string,
  codec: PayloadCodec,
  externalStorage?: ExternalStorage,
): Client {
  return new Client({ connection, namespace, dataConverter: createDataConverter(codec, externalStorage) });
}

/** Runs {@link archiveDocument} for `document` and waits for the archived document. */
export async function runArchive(
  client: Client,
  document: ScannedDocument,
  options: { readonly taskQueue: string; readonly workflowId?: string },
): Promise<{ workflowId: string; runId: string; archived: ArchivedDocument }> {
  const handle = await client.workflow.start(archiveDocument, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? `archive-${document.documentId}`,
    args: [document],
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, archived: await handle.result() };
}

/** Options of {@link startOrder}. */
export interface StartOrderOptions {
  readonly taskQueue: string;
  /** Default: `order-<orderId>`. */
  readonly workflowId?: string;
  /** Memo fields; memos go through the codec like every other payload. */
  readonly memo?: Record<string, unknown>;
}

/** Starts {@link processOrder} for `order`. */
export function startOrder(
  client: Client,
  order: Order,
  options: StartOrderOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof processOrder>> {
  return client.workflow.start(processOrder, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? `order-${order.orderId}`,
    args: [order],
    ...(options.memo === undefined ? {} : { memo: options.memo }),
  });
}

/** What {@link runOrder} observed. */
export interface OrderRun {
  readonly workflowId: string;
  readonly runId: string;
  /** The query answer once the workflow has completed (answered by a worker replaying the encrypted history). */
  readonly finalStatus: OrderStatus;
  readonly receipt: OrderReceipt;
}

/**
 * The example client's whole conversation with one order: start it, approve it (signal), ask where it stands
 * (query) and wait for the receipt (result). Every one of these values crosses the server encrypted.
 */
export async function runOrder(
  client: Client,
  order: Order,
  approval: Approval,
  options: StartOrderOptions,
): Promise<OrderRun> {
  const handle = await startOrder(client, order, options);
  await handle.signal(approveOrder, approval);
  const receipt = await handle.result();
  const finalStatus = await handle.query(orderStatus);
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, finalStatus, receipt };
}
