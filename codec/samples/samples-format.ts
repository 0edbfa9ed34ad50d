import { createDecipheriv } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { CodecError, ERROR_CODES } from '../errors.js';
import { deserializePayload } from '../payload-parse.js';
import { METADATA_KEYS } from '../types.js';
import { isEncrypted } from '../wire-format.js';

/**
 * The format of the official Temporal samples' encryption codecs (Go, Python, TypeScript), read here and never
 * written:
 *
 * ```
 * metadata: encoding = binary/encrypted, encryption-key-id = <key id>      (no encryption-format)
 * data:     nonce (12 random bytes) | AES-256-GCM ciphertext | tag (16 bytes), no additional data
 * plaintext: the serialized temporal.api.common.v1.Payload (the TypeScript sample: length-delimited)
 * ```
 *
 * Nothing binds a payload to a namespace, a key version or its own metadata; see SECURITY.md.
 */
export const SAMPLES_LAYOUT = Object.freeze({ nonce: 12, tag: 16, minimum: 28, keyBytes: 32 });

/** How the sealed plaintext holds the Payload message. */
export const SAMPLES_SERIALIZATIONS = ['plain', 'length-delimited'] as const;

/**
 * `plain`: the Payload message as is (the Go and Python samples). `length-delimited`: preceded by its length as a
 * varint (the TypeScript sample's `encodeDelimited`).
 */
export type SamplesSerialization = (typeof SAMPLES_SERIALIZATIONS)[number];

/**
 * True when `payload` is `binary/encrypted` without `encryption-format`: written by a samples codec, never by this
 * library, whose payloads always name their format.
 */
export function isSamplesPayload(payload: Payload): boolean {
  if (!isEncrypted(payload)) return false;
  const format = payload.metadata?.[METADATA_KEYS.format];
  return format === undefined || format === null;
}

/**
 * Opens the data of a samples payload under `key` and returns the Payload it holds. `key` is only read.
 *
 * @throws CodecError ERR_PAYLOAD_TRUNCATED (shorter than nonce and tag), ERR_DECRYPTION_FAILED (wrong key or edited
 * bytes), ERR_MALFORMED_METADATA (the plaintext is not a Payload in the configured serialization).
 */
export function openSamplesData(key: Uint8Array, data: Uint8Array, serialization: SamplesSerialization): Payload {
  // Precondition: lengths are checked before any crypto runs.
  if (data.length < SAMPLES_LAYOUT.minimum) {
    throw new CodecError(
      ERROR_CODES.truncated,
      `Encrypted data is ${data.length} bytes, shorter than the ${SAMPLES_LAYOUT.minimum}-byte minimum`,
      { context: { field: 'data' } },
    );
  }
  const nonce = data.subarray(0, SAMPLES_LAYOUT.nonce);
  const tag = data.subarray(data.length - SAMPLES_LAYOUT.tag);
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: SAMPLES_LAYOUT.tag });
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([
      decipher.update(data.subarray(SAMPLES_LAYOUT.nonce, data.length - SAMPLES_LAYOUT.tag)),
      decipher.final(),
    ]);
  } catch {
    throw new CodecError(ERROR_CODES.decryptionFailed, 'Decryption failed');
  }
  return deserializePayload(serialization === 'plain' ? plaintext : undelimit(plaintext));
}

/** The message of a varint-length-prefixed buffer whose length must cover the rest exactly. */
function undelimit(bytes: Uint8Array): Uint8Array {
  let length = 0;
  let offset = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (offset >= bytes.length) break;
    const byte = bytes[offset++]!;
    length += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) {
      if (length === bytes.length - offset) return bytes.subarray(offset);
      break;
    }
  }
  throw new CodecError(ERROR_CODES.malformedMetadata, 'Decrypted bytes are not a length-delimited Payload message', {
    context: { field: 'data' },
  });
}
