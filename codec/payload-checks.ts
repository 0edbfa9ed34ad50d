import type { Payload } from '@temporalio/common';
import { CodecError, ERROR_CODES } from './errors.js';

/** Throws ERR_INVALID_ARGUMENT unless `payloads` is an array (checked at runtime despite the types). */
export function assertPayloadArray(payloads: unknown): asserts payloads is Payload[] {
  if (!Array.isArray(payloads)) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'payloads must be an array', { context: { field: 'payloads' } });
  }
}

/** Returns `payload` when it has the shape of a Payload, else throws ERR_INVALID_ARGUMENT naming the field. */
export function assertPayload(payload: unknown): Payload {
  if (typeof payload !== 'object' || payload === null) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'payload must be an object', { context: { field: 'payload' } });
  }
  const { data, metadata } = payload as Payload;
  if (data !== undefined && data !== null && !(data instanceof Uint8Array)) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'payload.data must be a Uint8Array', {
      context: { field: 'data' },
    });
  }
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object') {
      throw new CodecError(ERROR_CODES.invalidArgument, 'payload.metadata must be an object', {
        context: { field: 'metadata' },
      });
    }
    for (const key of Object.keys(metadata)) {
      const value = metadata[key];
      if (!(value instanceof Uint8Array) && value !== null) {
        throw new CodecError(ERROR_CODES.invalidArgument, 'payload.metadata values must be Uint8Arrays', {
          context: { field: 'metadata' },
        });
      }
    }
  }
  return payload;
}

/**
 * Anything thrown that is not a CodecError is a bug: it becomes `ERR_INTERNAL` (never `ERR_DECRYPTION_FAILED`, which
 * would make a bug look like tampering), with the original kept as `cause` for the log and no message of its own
 * (which could carry data).
 */
export function toCodecError(err: unknown): CodecError {
  if (err instanceof CodecError) return err;
  return new CodecError(ERROR_CODES.internal, 'Internal error in the codec', { cause: err });
}
