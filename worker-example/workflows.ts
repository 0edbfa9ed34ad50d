import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { ExampleActivities } from './activities.js';
import { FAILURE_TYPES, orderTotalCents } from './model.js';
import type {
  Approval,
  ArchivedDocument,
  ChargeResult,
  Order,
  OrderReceipt,
  OrderStatus,
  ScannedDocument,
} from './model.js';

/** Approves a charged order; the workflow completes once it has one. */
export const approveOrder = defineSignal<[Approval]>('approveOrder');

/** Where the order stands. */
export const orderStatus = defineQuery<OrderStatus>('orderStatus');

const { chargeCard, archive } = proxyActivities<ExampleActivities>({
  startToCloseTimeout: '30 seconds',
  // A worker that cannot reach its key source fails the activity task retryably; a short maximum interval means the
  // activity resumes soon after the key source is back instead of up to 100 s later (the SDK default).
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds' },
});

/**
 * Charges an order's card, waits for an approval signal and returns a receipt.
 *
 * Every value crossing the workflow boundary (the order, the activity's argument and result, the signal, the query
 * answer, the receipt and any failure) passes through the worker's payload codec, so the Temporal server only ever
 * stores ciphertext.
 *
 * @throws ApplicationFailure of type `OrderDeclined` (non-retryable) when the card is declined.
 */
export async function processOrder(order: Order): Promise<OrderReceipt> {
  let status: OrderStatus = { stage: 'charging', customer: order.customer };
  let approval: Approval | undefined;
  setHandler(orderStatus, () => status);
  setHandler(approveOrder, (received) => {
    approval ??= received;
  });

  const amountCents = orderTotalCents(order);
  let charge: ChargeResult;
  try {
    charge = await chargeCard({
      orderId: order.orderId,
      customer: order.customer,
      cardNumber: order.cardNumber,
      amountCents,
    });
  } catch (err) {
    if (
      err instanceof ActivityFailure &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === FAILURE_TYPES.cardDeclined
    ) {
      throw ApplicationFailure.create({
        message: `Order ${order.orderId} for ${order.customer} was declined`,
        type: FAILURE_TYPES.orderDeclined,
        nonRetryable: true,
        cause: err,
      });
    }
    throw err;
  }

  status = { stage: 'awaiting-approval', customer: order.customer, chargeId: charge.chargeId };
  await condition(() => approval !== undefined);
  // condition() resolved, so the handler has stored an approval.
  const { approver, note } = approval as Approval;
  status = { stage: 'completed', customer: order.customer, chargeId: charge.chargeId, approver };
  return {
    orderId: order.orderId,
    customer: order.customer,
    amountCents,
    chargeId: charge.chargeId,
    cardLast4: charge.cardLast4,
    approvedBy: approver,
    approvalNote: note,
  };
}

/**
 * Archives a scanned document and returns it as archived. Its input, the activity's argument and result, and its
 * result are each as large as the document: past 2 MiB the worker needs external storage (`EXTERNAL_STORAGE=s3`),
 * which keeps only references in the history and the sealed payloads in the bucket.
 */
export async function archiveDocument(document: ScannedDocument): Promise<ArchivedDocument> {
  return archive(document);
}
