import type { Payload } from '@temporalio/common';
import { StorageDriverClaim } from '@temporalio/common';
import type { S3StorageDriver } from '@temporalio/external-storage-s3';
import {
  STORAGE_ERROR_CODES,
  StorageError,
  isStorageError,
  parseS3Claim,
  type S3Claim,
  type StorageReference,
} from '../../codec/storage/index.js';
import type { NamespaceStorageSettings } from './storage-settings.js';

/** One namespace's external storage, as the codec server reads it. */
export interface NamespaceStorage {
  readonly namespace: string;
  /**
   * Checks, without any request, that `reference` may be served for this namespace and returns its claim.
   *
   * @throws StorageError `ERR_STORAGE_REFERENCE_FOREIGN` (other driver, bucket or key prefix),
   *   `ERR_STORAGE_REFERENCE_MALFORMED`, or `ERR_STORAGE_BLOB_TOO_LARGE` when the announced size is over the limit.
   */
  admit(reference: StorageReference): S3Claim;
  /**
   * Fetches and checks the stored payload of an admitted claim (its SHA-256 must match).
   *
   * @throws StorageError classified: not found, too large, integrity, refused, unavailable (retryable).
   */
  retrieve(claim: S3Claim, signal: AbortSignal): Promise<Payload>;
}

/** The S3 driver the namespace's storage reads through, and the limits it enforces. */
export interface S3NamespaceStorageOptions {
  readonly namespace: string;
  readonly settings: NamespaceStorageSettings;
  readonly driver: S3StorageDriver;
  readonly maxBlobBytes: number;
}

/**
 * A namespace's storage over the SDK's S3 driver. Only references the namespace's own workers can have written are
 * admitted: the configured driver name and bucket, and a key under the namespace's prefix (by default
 * `v0/ns/<namespace>/`, the driver's layout), so one namespace's callers cannot read another's blobs through it.
 */
export class S3NamespaceStorage implements NamespaceStorage {
  readonly namespace: string;
  readonly #settings: NamespaceStorageSettings;
  readonly #driver: S3StorageDriver;
  readonly #maxBlobBytes: number;
  readonly #keyPrefix: string;

  constructor(options: S3NamespaceStorageOptions) {
    this.namespace = options.namespace;
    this.#settings = options.settings;
    this.#driver = options.driver;
    this.#maxBlobBytes = options.maxBlobBytes;
    this.#keyPrefix = options.settings.keyPrefix.replaceAll('{namespace}', encodeKeySegment(options.namespace));
  }

  admit(reference: StorageReference): S3Claim {
    if (reference.driverName !== this.#settings.driverName) {
      throw foreign(`the reference names driver ${JSON.stringify(reference.driverName.slice(0, 100))}`, 'driverName');
    }
    const claim = parseS3Claim(reference.claimData);
    if (claim.bucket !== this.#settings.bucket) throw foreign('the reference names another bucket', 'bucket', claim);
    if (!claim.key.startsWith(this.#keyPrefix)) {
      throw foreign(`the reference key is outside ${this.#keyPrefix}`, 'key', claim);
    }
    if (reference.sizeBytes > this.#maxBlobBytes) {
      throw new StorageError(
        STORAGE_ERROR_CODES.blobTooLarge,
        `the reference announces ${reference.sizeBytes} bytes, over the ${this.#maxBlobBytes}-byte limit`,
        { context: { bucket: claim.bucket, key: claim.key } },
      );
    }
    return claim;
  }

  async retrieve(claim: S3Claim, signal: AbortSignal): Promise<Payload> {
    try {
      const [payload] = await this.#driver.retrieve({ abortSignal: signal }, [new StorageDriverClaim({ ...claim })]);
      if (payload === undefined) throw new Error('the driver returned no payload');
      return payload;
    } catch (err) {
      // The driver wraps its client's errors (ours, classified); what it throws itself after a successful read is a
      // hash mismatch or bytes that are not a Payload.
      const cause: unknown = err instanceof Error && err.cause !== undefined ? err.cause : err;
      if (isStorageError(cause)) throw cause;
      throw new StorageError(STORAGE_ERROR_CODES.integrity, 'the stored object does not match its reference', {
        cause: err,
        context: { bucket: claim.bucket, key: claim.key },
      });
    }
  }
}

function foreign(message: string, field: string, claim?: S3Claim): StorageError {
  const where = claim === undefined ? {} : { bucket: claim.bucket, key: claim.key };
  return new StorageError(STORAGE_ERROR_CODES.foreignReference, `${message}; it is not this namespace's storage`, {
    context: { field, ...where },
  });
}

/** As the S3 driver encodes key segments: S3's safe characters stay, everything else is percent-encoded. */
function encodeKeySegment(value: string): string {
  return encodeURIComponent(value).replace(/~/g, '%7E');
}
