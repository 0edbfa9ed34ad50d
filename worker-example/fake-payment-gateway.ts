import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from './model.js';
import type { PaymentGateway } from './activities.js';

/** The card number the fake gateway always declines (the payment industry's usual "generic decline" test card). */
export const DECLINED_TEST_CARD = '4000000000000002';

/**
 * A payment gateway that charges nothing: it accepts every card except {@link DECLINED_TEST_CARD}, and derives a
 * stable charge id from the order so that retried activities return the same result.
 */
export function createFakePaymentGateway(): PaymentGateway {
  return {
    charge(request) {
      const cardLast4 = request.cardNumber.slice(-4);
      if (request.cardNumber.replace(/\s+/g, '') === DECLINED_TEST_CARD) {
        // The message names the customer on purpose: failure messages are encrypted too (failure converter).
        throw ApplicationFailure.nonRetryable(
          `Card ending ${cardLast4} declined for ${request.customer}`,
          FAILURE_TYPES.cardDeclined,
        );
      }
      const digest = createHash('sha256').update(`${request.orderId}:${request.amountCents}`).digest('hex');
      return Promise.resolve({ chargeId: `ch_${digest.slice(0, 16)}`, cardLast4 });
    },
  };
}
