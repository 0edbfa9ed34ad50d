import { createHash } from 'node:crypto';
import type { ArchivedDocument, ChargeRequest, ChargeResult, ScannedDocument } from './model.js';

/** Charges cards; the example ships a fake one ({@link createFakePaymentGateway}), a real worker would pass its own. */
export interface PaymentGateway {
  charge(request: ChargeRequest): Promise<ChargeResult>;
}

/** What the example's activities need. */
export interface ActivityDeps {
  readonly gateway: PaymentGateway;
}

/** Builds the example's activities around their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    /** Charges the order's card; its argument (card number included) reaches the worker only encrypted. */
    async chargeCard(request: ChargeRequest): Promise<ChargeResult> {
      return deps.gateway.charge(request);
    },
    /**
     * Files a scanned document under an id derived from its content. Its argument and result are megabytes: with
     * external storage on, both travel as references to sealed blobs in the bucket.
     */
    archive(document: ScannedDocument): Promise<ArchivedDocument> {
      const archiveId = `archive-${createHash('sha256').update(document.pages).digest('hex').slice(0, 16)}`;
      return Promise.resolve({ ...document, archiveId });
    },
  };
}

/** The activity interface the workflow proxies. */
export type ExampleActivities = ReturnType<typeof createActivities>;
