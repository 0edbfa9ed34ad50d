import type { ChargeRequest, ChargeResult } from './model.js';

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
  };
}

/** The activity interface the workflow proxies. */
export type ExampleActivities = ReturnType<typeof createActivities>;
