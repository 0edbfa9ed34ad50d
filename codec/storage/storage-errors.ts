/**
 * Stable error codes of external payload storage (public API, listed in the README). The codec server maps them to
 * HTTP statuses in its error handler; workers see them as the cause of a failed task, which Temporal retries.
 */
export const STORAGE_ERROR_CODES = {
  /** The payload is not an External Storage reference (where only references are accepted, as by `/download`). */
  notReference: 'ERR_NOT_A_STORAGE_REFERENCE',
  /** The reference is not well formed: bad JSON, a missing or malformed claim field, a key that does not name its hash. */
  malformedReference: 'ERR_STORAGE_REFERENCE_MALFORMED',
  /** The reference names another driver, bucket or key prefix than the namespace's storage is configured with. */
  foreignReference: 'ERR_STORAGE_REFERENCE_FOREIGN',
  /** The namespace has no external storage configured. */
  notConfigured: 'ERR_STORAGE_NOT_CONFIGURED',
  /** More references in one request than the configured limit. */
  tooManyReferences: 'ERR_TOO_MANY_STORAGE_REFERENCES',
  /** The stored blob (or the size the reference announces) is larger than the configured limit. */
  blobTooLarge: 'ERR_STORAGE_BLOB_TOO_LARGE',
  /** No object at the referenced key (deleted, expired by a lifecycle rule, or never stored). */
  objectNotFound: 'ERR_STORAGE_OBJECT_NOT_FOUND',
  /** The object's bytes do not match the reference's hash, or are not a serialized Payload. */
  integrity: 'ERR_STORAGE_INTEGRITY',
  /** The store refused the request (credentials, permissions, missing bucket): retrying will not help. */
  refused: 'ERR_STORAGE_REFUSED',
  /** The store could not be reached, timed out or failed (5xx, throttling); retrying may succeed. */
  unavailable: 'ERR_STORAGE_UNAVAILABLE',
} as const;

/** Union of the storage error codes. */
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[keyof typeof STORAGE_ERROR_CODES];

/** Identifiers of what failed; never payload bytes or credentials. */
export interface StorageErrorContext {
  readonly bucket?: string;
  readonly key?: string;
  readonly field?: string;
}

const MARKER = Symbol.for('temporal-vault-codec/StorageError');

/**
 * Thrown by external payload storage. `retryable` is true for {@link STORAGE_ERROR_CODES.unavailable} only: a store
 * that is down comes back, a malformed reference does not heal. `instanceof` works across duplicate package copies.
 */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly retryable: boolean;
  readonly context: StorageErrorContext;

  constructor(
    code: StorageErrorCode,
    message: string,
    options: { cause?: unknown; context?: StorageErrorContext } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.retryable = code === STORAGE_ERROR_CODES.unavailable;
    this.context = Object.freeze({ ...options.context });
    Object.defineProperty(this, MARKER, { value: true, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** True when `err` is a {@link StorageError}, with the given code if one is named. */
export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}
