import { Client } from '@temporalio/client';
import type { Connection, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { createDataConverter } from './data-converter.js';
import type { Approval, Order, OrderReceipt, OrderStatus } from './model.js';
import { approveOrder, orderStatus, processOrder } from './workflows.js';

/** Creates a client whose data converter matches the worker's (same codec, same failure converter). */
export function createExampleClient(connection: Connection, namespace: string, codec: PayloadCodec): Client {
  return new Client({ connection, namespace, dataConverter: createDataConverter(codec) });
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
