import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { failureConverterPath } from './module-paths.js';

/**
 * The data converter worker and client share: JSON payloads (the SDK default) sealed by `codec`, and failures whose
 * message and stack trace are moved into an encrypted payload.
 *
 * Both sides must use the same one: a client without the failure converter would show workflow failures as
 * "Encoded failure", and one without the codec could not read anything at all.
 */
export function createDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath };
}
