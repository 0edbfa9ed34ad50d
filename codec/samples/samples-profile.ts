import type { Payload } from '@temporalio/common';
import { CodecError, ERROR_CODES } from '../errors.js';
import { METADATA_KEYS } from '../types.js';
import { openSamplesData, SAMPLES_SERIALIZATIONS, type SamplesSerialization } from './samples-format.js';
import type { SamplesKeySource } from './samples-keys.js';

/**
 * The decode-only profile for payloads written by the official samples' encryption codecs (see
 * `samples-format.ts`). Configured, such payloads are opened under the key of the key id they name; absent, they
 * are refused with `ERR_UNSUPPORTED_FORMAT`. Nothing is ever sealed in that format.
 */
export interface SamplesProfileOptions {
  /** The key of each samples key id (`samplesKeysFromFile`, `samplesKeysFromVault`). */
  readonly keys: SamplesKeySource;
  /** How the plaintext holds the Payload: `plain` (Go and Python samples, the default) or `length-delimited` (TypeScript). */
  readonly serialization?: SamplesSerialization;
  /**
   * The samples carry no namespace: any namespace sharing a key can open the others' payloads. When set, a namespace
   * opens only the key ids listed for it (a namespace not listed: none), others fail with `ERR_NAMESPACE_MISMATCH`.
   */
  readonly namespaceKeyIds?: Readonly<Record<string, readonly string[]>>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks the options once, when a codec is built. */
export function checkSamplesProfile(options: SamplesProfileOptions): void {
  if (typeof options?.keys?.key !== 'function') {
    throw new CodecError(ERROR_CODES.invalidConfig, 'samplesProfile.keys must be a samples key source');
  }
  if (options.serialization !== undefined && !SAMPLES_SERIALIZATIONS.includes(options.serialization)) {
    throw new CodecError(ERROR_CODES.invalidConfig, `samplesProfile.serialization must be plain or length-delimited`);
  }
}

/** The key id a samples payload names. */
export function samplesKeyId(payload: Payload): string {
  const bytes = payload.metadata?.[METADATA_KEYS.keyId];
  let keyId = '';
  try {
    if (bytes !== undefined && bytes !== null) keyId = utf8.decode(bytes);
  } catch {
    // Reported below as a malformed field.
  }
  if (keyId.length === 0) {
    throw new CodecError(ERROR_CODES.malformedMetadata, `Missing or invalid metadata field ${METADATA_KEYS.keyId}`, {
      context: { field: METADATA_KEYS.keyId },
    });
  }
  return keyId;
}

/**
 * Opens one samples payload for `namespace`: the key id must be allowed there, its key is fetched (the source
 * caches), used and zeroed.
 */
export async function openSamplesPayload(
  options: SamplesProfileOptions,
  namespace: string,
  keyId: string,
  payload: Payload,
): Promise<Payload> {
  const allowed = options.namespaceKeyIds;
  if (allowed !== undefined && !(Object.hasOwn(allowed, namespace) && allowed[namespace]!.includes(keyId))) {
    throw new CodecError(ERROR_CODES.namespaceMismatch, 'This samples key id is not allowed for the namespace', {
      context: { namespace, keyId },
    });
  }
  const key = await options.keys.key(keyId);
  try {
    return openSamplesData(key, payload.data ?? new Uint8Array(0), options.serialization ?? 'plain');
  } catch (err) {
    if (err instanceof CodecError) {
      throw new CodecError(err.code, err.message, { cause: err.cause, context: { ...err.context, keyId, namespace } });
    }
    throw err;
  } finally {
    key.fill(0);
  }
}
