import { createCipheriv, randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Seals a payload as the official samples' codecs do, step by step: the whole Payload serialized (Go's `Marshal`,
 * Python's `SerializeToString`; the TypeScript sample's `encodeDelimited`), a random 12-byte nonce, AES-256-GCM with
 * no additional data, `nonce | ciphertext | tag`, and metadata of encoding and key id only.
 */
export function sealLikeSamples(
  payload: Payload,
  keyId: string,
  key: Uint8Array,
  serialization: 'plain' | 'length-delimited' = 'plain',
): Payload {
  const message = temporal.api.common.v1.Payload.create(payload);
  const plaintext =
    serialization === 'plain'
      ? temporal.api.common.v1.Payload.encode(message).finish()
      : temporal.api.common.v1.Payload.encodeDelimited(message).finish();
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return {
    metadata: { encoding: Buffer.from('binary/encrypted'), 'encryption-key-id': Buffer.from(keyId) },
    data: sealed,
  };
}
