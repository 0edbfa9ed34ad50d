import type { Payload } from '@temporalio/common';
import { seal, type DerivedKey, type NonceSequence } from './aes-gcm.js';
import { payloadBody, payloadHeadLength, writePayloadHead } from './payload-proto.js';

/**
 * Serializes `payload` (protobuf) and seals it in one buffer: `salt || commitment || nonce || ciphertext || tag`.
 * `nonce` is the derived key's sequence, or fixed bytes for test vectors.
 */
export function sealPayload(
  key: DerivedKey,
  aad: Uint8Array,
  payload: Payload,
  nonce: NonceSequence | Uint8Array,
): Buffer {
  return seal(key, aad, payload, payloadHeadLength(payload), writePayloadHead, payloadBody(payload), nonce);
}
