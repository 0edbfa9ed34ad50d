import type { Payload } from '@temporalio/common';
import { isStorageReference } from '../wire-format.js';
import { STORAGE_ERROR_CODES, StorageError } from './storage-errors.js';

/**
 * Reading External Storage references without trusting them. A reference is the protojson of
 * `temporal.api.sdk.v1.ExternalStorageReference` in a payload's `data`:
 *
 * ```
 * metadata: { encoding: "json/protobuf", messageType: "temporal.api.sdk.v1.ExternalStorageReference" }
 * data:     {"driverName":"aws.s3driver","claimData":{"bucket":"b","key":"v0/ns/orders/.../d/sha256/<hex>",
 *            "hashAlgorithm":"sha256","hashValue":"<hex>"}}
 * externalPayloads: [{ sizeBytes: <size of the stored, serialized Payload> }]
 * ```
 *
 * Every check runs before any storage request, so a malformed reference never reaches the store.
 */

/** A parsed reference: which driver stored the blob, its opaque claim, and the size it announces. */
export interface StorageReference {
  readonly driverName: string;
  readonly claimData: Readonly<Record<string, string>>;
  /** `externalPayloads[0].sizeBytes`; 0 when absent (older writers), in which case only the object's size counts. */
  readonly sizeBytes: number;
}

/** The claim of the S3 driver (`@temporalio/external-storage-s3`, and the Go and Python S3 drivers alike). */
export interface S3Claim {
  readonly bucket: string;
  readonly key: string;
  readonly hashAlgorithm: 'sha256';
  /** Lower-case hex SHA-256 of the stored bytes; the key ends with `/d/sha256/<hashValue>`. */
  readonly hashValue: string;
}

/** References are a few hundred bytes; anything much larger is not one. */
const MAX_REFERENCE_BYTES = 16 * 1024;
const MAX_CLAIM_ENTRIES = 32;
const MAX_TEXT_LENGTH = 2048;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(message: string, field: string): StorageError {
  return new StorageError(STORAGE_ERROR_CODES.malformedReference, message, { context: { field } });
}

/**
 * Parses a storage reference payload.
 *
 * @throws StorageError `ERR_NOT_A_STORAGE_REFERENCE` when the payload is not marked as one, `ERR_STORAGE_REFERENCE_MALFORMED`
 *   naming the field when it is marked but not well formed.
 */
export function parseStorageReference(payload: Payload): StorageReference {
  if (!isStorageReference(payload)) {
    throw new StorageError(STORAGE_ERROR_CODES.notReference, 'payload is not an External Storage reference', {
      context: { field: 'metadata' },
    });
  }
  const data = payload.data ?? new Uint8Array(0);
  if (data.length === 0 || data.length > MAX_REFERENCE_BYTES) {
    throw malformed(`reference data must be 1 to ${MAX_REFERENCE_BYTES} bytes of JSON`, 'data');
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(data));
  } catch {
    throw malformed('reference data is not UTF-8 JSON', 'data');
  }
  if (!isObject(json)) throw malformed('reference data must be a JSON object', 'data');
  // protojson accepts the JSON name and the proto field name of each field.
  const driverName = json.driverName ?? json.driver_name;
  if (typeof driverName !== 'string' || driverName.length === 0 || driverName.length > MAX_TEXT_LENGTH) {
    throw malformed('driverName must be a non-empty string', 'driverName');
  }
  const claim = json.claimData ?? json.claim_data ?? {};
  if (!isObject(claim)) throw malformed('claimData must be an object of strings', 'claimData');
  const entries = Object.entries(claim);
  if (entries.length > MAX_CLAIM_ENTRIES)
    throw malformed(`claimData has more than ${MAX_CLAIM_ENTRIES} entries`, 'claimData');
  const claimData: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH || name.length > MAX_TEXT_LENGTH) {
      throw malformed('claimData must be an object of strings', 'claimData');
    }
    claimData[name] = value;
  }
  return { driverName, claimData: Object.freeze(claimData), sizeBytes: readSizeBytes(payload) };
}

/**
 * Checks an S3 driver claim: a valid bucket name, a `v0/` key that ends with `/d/sha256/<hashValue>` (the driver's
 * content address), and a SHA-256 hash. Binding the key to the hash means a claim can only name payload objects, never
 * an arbitrary object of the bucket.
 *
 * @throws StorageError `ERR_STORAGE_REFERENCE_MALFORMED` naming the field.
 */
export function parseS3Claim(claimData: Readonly<Record<string, string>>): S3Claim {
  const { bucket, key, hashAlgorithm, hashValue } = claimData;
  if (bucket === undefined || !BUCKET_NAME.test(bucket)) throw malformed('claim bucket is not a bucket name', 'bucket');
  if (hashAlgorithm !== 'sha256') throw malformed('claim hashAlgorithm must be sha256', 'hashAlgorithm');
  if (hashValue === undefined || !SHA256_HEX.test(hashValue)) {
    throw malformed('claim hashValue must be 64 lower-case hex digits', 'hashValue');
  }
  if (
    key === undefined ||
    Buffer.byteLength(key, 'utf8') > 1024 ||
    !key.startsWith('v0/') ||
    !key.endsWith(`/d/sha256/${hashValue}`) ||
    key.includes('//') ||
    key.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    throw malformed('claim key must be a v0/.../d/sha256/<hashValue> key of at most 1024 bytes', 'key');
  }
  return { bucket, key, hashAlgorithm, hashValue };
}

function readSizeBytes(payload: Payload): number {
  const details = payload.externalPayloads ?? [];
  if (details.length > 1) throw malformed('a reference has at most one externalPayloads entry', 'externalPayloads');
  const raw: unknown = details[0]?.sizeBytes;
  if (raw === undefined || raw === null) return 0;
  // protobufjs gives a Long for int64 fields; its toString() is exact, plain numbers below 2^53 are too.
  const size = Number(typeof raw === 'object' ? (raw as { toString(): string }).toString() : raw);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw malformed('externalPayloads[0].sizeBytes must be a non-negative integer', 'externalPayloads');
  }
  return size;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
