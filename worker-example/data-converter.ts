import type { DataConverter, ExternalStorage, PayloadCodec } from '@temporalio/common';
import { failureConverterPath } from './module-paths.js';

/**
 * The data converter worker and client share: JSON payloads (the SDK default) sealed by `codec`, and failures whose
 * message and stack trace are moved into an encrypted payload. With `externalStorage`, sealed payloads of 256 KiB
 * and more go to the store and the history keeps references: the codec runs before the store, so the bucket holds
 * only ciphertext.
 *
 * Both sides must use the same one: a client without the failure converter would show workflow failures as
 * "Encoded failure", and one without the codec could not read anything at all.
 */
export function createDataConverter(codec: PayloadCodec, externalStorage?: ExternalStorage): DataConverter {
  return {
    payloadCodecs: [codec],
    failureConverterPath,
    ...(externalStorage === undefined ? {} : { externalStorage }),
  };
}
