import type { Payload } from '@temporalio/common';
import { seal, sealedLength, type DerivedKey, type NonceSequence } from './aes-gcm.js';
import { extendedPayloadBytes, payloadHeadLength, writePayloadHead } from './payload-proto.js';
import { V1_LAYOUT } from './types.js';

const EMPTY = new Uint8Array(0);

/**
 * Serializes `payload` (protobuf) and seals it in one buffer: `salt || commitment || nonce || ciphertext || tag`.
 * The serialized metadata is written straight into that buffer and the data is never copied before encryption.
 * `nonce` is the derived key's sequence, or fixed bytes for test vectors.
 */
export function sealPayload(
  key: DerivedKey,
  aad: Uint8Array,
  payload: Payload,
  nonce: NonceSequence | Uint8Array,
): Buffer {
  const extended = extendedPayloadBytes(payload);
  if (extended !== undefined)
    return seal(key, aad, Buffer.allocUnsafe(sealedLength(extended.length)), 0, extended, nonce);
  const headLength = payloadHeadLength(payload);
  const body = payload.data ?? EMPTY;
  const out = Buffer.allocUnsafe(sealedLength(headLength + body.length));
  writePayloadHead(payload, out, V1_LAYOUT.header);
  return seal(key, aad, out, headLength, body, nonce);
}
