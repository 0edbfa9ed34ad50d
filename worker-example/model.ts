/**
 * The example's business data. Every value here is sensitive on purpose (a customer's name, a card number, a note):
 * it all travels through Temporal only as encrypted payloads.
 */

/** One line of an order. */
export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

/** The workflow's input. */
export interface Order {
  readonly orderId: string;
  readonly customer: string;
  readonly cardNumber: string;
  readonly lines: readonly OrderLine[];
}

/** The `approveOrder` signal's argument. */
export interface Approval {
  readonly approver: string;
  readonly note: string;
}

/** The `chargeCard` activity's argument. */
export interface ChargeRequest {
  readonly orderId: string;
  readonly customer: string;
  readonly cardNumber: string;
  readonly amountCents: number;
}

/** The `chargeCard` activity's result. */
export interface ChargeResult {
  readonly chargeId: string;
  readonly cardLast4: string;
}

/** The `orderStatus` query's answer. */
export type OrderStatus =
  | { readonly stage: 'charging'; readonly customer: string }
  | { readonly stage: 'awaiting-approval'; readonly customer: string; readonly chargeId: string }
  | { readonly stage: 'completed'; readonly customer: string; readonly chargeId: string; readonly approver: string };

/** The workflow's result. */
export interface OrderReceipt {
  readonly orderId: string;
  readonly customer: string;
  readonly amountCents: number;
  readonly chargeId: string;
  readonly cardLast4: string;
  readonly approvedBy: string;
  readonly approvalNote: string;
}

/** Failure types the example raises, so callers can tell them apart without parsing (encrypted) messages. */
export const FAILURE_TYPES = {
  /** The payment gateway declined the card (raised by the activity). */
  cardDeclined: 'CardDeclined',
  /** The order could not be completed because its card was declined (raised by the workflow). */
  orderDeclined: 'OrderDeclined',
} as const;

/** Total of an order in cents. */
export function orderTotalCents(order: Pick<Order, 'lines'>): number {
  return order.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
}

/** A scanned document: its pages can be megabytes, over Temporal's 2 MiB payload limit without external storage. */
export interface ScannedDocument {
  readonly documentId: string;
  readonly customer: string;
  /** The pages' text (the OCR of a contract, say): as sensitive as the rest, and large. */
  readonly pages: string;
}

/** The `archiveDocument` workflow's result: the document as archived. */
export interface ArchivedDocument extends ScannedDocument {
  readonly archiveId: string;
}
