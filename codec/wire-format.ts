import type { Payload } from '@temporalio/common';
import { CodecError, ERROR_CODES } from './errors.js';
import {
  ENCRYPTED_ENCODING,
  FORMAT_IDS,
  METADATA_KEYS,
  STORAGE_REFERENCE,
  type FormatId,
  type KeyReference,
} from './types.js';

/**
 * Reading and writing the metadata of wire format v1 (the bytes are in `aes-gcm.ts`). Metadata is public by design:
 * it names the key and version so that operators can see what a history needs without decrypting it.
 */

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const ENCRYPTED_ENCODING_BYTES = utf8.encode(ENCRYPTED_ENCODING);
const REFERENCE_ENCODING_BYTES = utf8.encode(STORAGE_REFERENCE.encoding);
const REFERENCE_MESSAGE_TYPE_BYTES = utf8.encode(STORAGE_REFERENCE.messageType);
const VERSION_PATTERN = /^[1-9][0-9]{0,9}$/;
const MAX_VERSION = 0xffffffff;
const SUPPORTED_FORMATS: ReadonlySet<string> = new Set(Object.values(FORMAT_IDS));

/** What an encrypted payload's metadata says. */
export interface EncryptedHeader extends KeyReference {
  readonly format: FormatId;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Metadata `messageType` of an external storage reference payload (see {@link STORAGE_REFERENCE}). */
export const STORAGE_REFERENCE_MESSAGE_TYPE = STORAGE_REFERENCE.messageType;

/** True when the payload says it is encrypted (`encoding: binary/encrypted`). */
export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_KEYS.encoding];
  return encoding !== undefined && encoding !== null && equalBytes(encoding, ENCRYPTED_ENCODING_BYTES);
}

/**
 * True when the payload is an External Storage reference: `encoding: json/protobuf` and `messageType:
 * temporal.api.sdk.v1.ExternalStorageReference`, the test every Temporal SDK applies. Says nothing about whether the
 * reference itself is well formed (the storage layer checks that before any request).
 */
export function isStorageReference(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_KEYS.encoding];
  const messageType = payload.metadata?.messageType;
  return (
    encoding !== undefined &&
    encoding !== null &&
    messageType !== undefined &&
    messageType !== null &&
    equalBytes(encoding, REFERENCE_ENCODING_BYTES) &&
    equalBytes(messageType, REFERENCE_MESSAGE_TYPE_BYTES)
  );
}

function readText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  if (value === undefined || value === null) return undefined;
  try {
    return utf8Decoder.decode(value);
  } catch {
    throw new CodecError(ERROR_CODES.malformedMetadata, `Metadata field ${key} is not valid UTF-8`, {
      context: { field: key },
    });
  }
}

/** Parses and checks the metadata of an encrypted payload. Precondition: {@link isEncrypted} is true. */
export function readEncryptedHeader(payload: Payload): EncryptedHeader {
  const format = readText(payload, METADATA_KEYS.format);
  if (format === undefined || !SUPPORTED_FORMATS.has(format)) {
    throw new CodecError(ERROR_CODES.unsupportedFormat, 'Unsupported or missing encryption format', {
      context: { field: METADATA_KEYS.format },
    });
  }
  const keyId = readText(payload, METADATA_KEYS.keyId);
  if (keyId === undefined || keyId.length === 0) {
    throw new CodecError(ERROR_CODES.malformedMetadata, `Missing metadata field ${METADATA_KEYS.keyId}`, {
      context: { field: METADATA_KEYS.keyId },
    });
  }
  const versionText = readText(payload, METADATA_KEYS.keyVersion);
  const version = versionText !== undefined && VERSION_PATTERN.test(versionText) ? Number(versionText) : NaN;
  if (!(version <= MAX_VERSION)) {
    throw new CodecError(
      ERROR_CODES.malformedMetadata,
      `Missing or invalid metadata field ${METADATA_KEYS.keyVersion}`,
      {
        context: { field: METADATA_KEYS.keyVersion, keyId },
      },
    );
  }
  const wrappedKey = readText(payload, METADATA_KEYS.wrappedKey);
  return { format: format as FormatId, keyId, version, ...(wrappedKey === undefined ? {} : { wrappedKey }) };
}

/**
 * The metadata of payloads sealed under one key version, as a factory of fresh objects (each payload gets its own, so
 * a caller editing one cannot touch the others). Built once per sealing session: the byte arrays are shared by its
 * payloads and never written after construction. The literals spell out {@link METADATA_KEYS}, so each object is
 * built from a fixed shape with no copying loop.
 */
export function encryptedMetadataFactory(format: FormatId, ref: KeyReference): () => Record<string, Uint8Array> {
  const encoding = ENCRYPTED_ENCODING_BYTES;
  const formatBytes = utf8.encode(format);
  const keyId = utf8.encode(ref.keyId);
  const version = utf8.encode(String(ref.version));
  if (ref.wrappedKey === undefined) {
    return () => ({
      encoding,
      'encryption-format': formatBytes,
      'encryption-key-id': keyId,
      'encryption-key-version': version,
    });
  }
  const wrapped = utf8.encode(ref.wrappedKey);
  return () => ({
    encoding,
    'encryption-format': formatBytes,
    'encryption-key-id': keyId,
    'encryption-key-version': version,
    'encryption-wrapped-key': wrapped,
  });
}

/** The metadata of one payload sealed under `ref` (see {@link encryptedMetadataFactory}). */
export function buildEncryptedMetadata(format: FormatId, ref: KeyReference): Record<string, Uint8Array> {
  return encryptedMetadataFactory(format, ref)();
}

/**
 * Reads encrypted headers, remembering the last one: payloads of one batch almost always share key id, version and
 * format, and comparing a few short byte arrays is much cheaper than decoding and validating them again.
 */
export class HeaderReader {
  #last:
    | {
        format: Uint8Array;
        keyId: Uint8Array;
        version: Uint8Array;
        wrapped: Uint8Array | undefined;
        header: EncryptedHeader;
      }
    | undefined;

  /** Same contract as {@link readEncryptedHeader}; returns the same object for identical metadata. */
  read(payload: Payload): EncryptedHeader {
    const metadata = payload.metadata!;
    const format = metadata[METADATA_KEYS.format];
    const keyId = metadata[METADATA_KEYS.keyId];
    const version = metadata[METADATA_KEYS.keyVersion];
    const wrapped = metadata[METADATA_KEYS.wrappedKey] ?? undefined;
    const last = this.#last;
    if (
      last !== undefined &&
      format != null &&
      keyId != null &&
      version != null &&
      equalBytes(format, last.format) &&
      equalBytes(keyId, last.keyId) &&
      equalBytes(version, last.version) &&
      (wrapped === undefined
        ? last.wrapped === undefined
        : last.wrapped !== undefined && equalBytes(wrapped, last.wrapped))
    ) {
      return last.header;
    }
    const header = readEncryptedHeader(payload);
    this.#last = {
      format: Uint8Array.from(format!),
      keyId: Uint8Array.from(keyId!),
      version: Uint8Array.from(version!),
      wrapped: wrapped === undefined ? undefined : Uint8Array.from(wrapped),
      header,
    };
    return header;
  }
}
