import { STORAGE_ERROR_CODES, StorageError, type StorageErrorContext } from './storage-errors.js';

/** Error names S3 (and S3-compatible stores) give a missing object or bucket, and refusals that retrying cannot fix. */
const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);
const REFUSED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'AllAccessDisabled',
  'InvalidBucketName',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);
/** Socket-level failures: the store is down or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

interface AwsLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * Turns anything an S3 request threw into a {@link StorageError}: missing object -> `ERR_STORAGE_OBJECT_NOT_FOUND`;
 * credentials, permissions or a missing bucket -> `ERR_STORAGE_REFUSED`; network failures, timeouts, aborts, 5xx and
 * throttling -> `ERR_STORAGE_UNAVAILABLE` (retryable). The store's own message is kept as `cause` only: it can name
 * an access key id.
 */
export function classifyS3Error(err: unknown, context: StorageErrorContext): StorageError {
  if (err instanceof StorageError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? '';
  if (NOT_FOUND.has(name) || (status === 404 && name !== 'NoSuchBucket')) {
    return new StorageError(STORAGE_ERROR_CODES.objectNotFound, 'no object at the referenced key', {
      cause: err,
      context,
    });
  }
  if (REFUSED.has(name) || status === 401 || status === 403 || name === 'NoSuchBucket') {
    return new StorageError(
      STORAGE_ERROR_CODES.refused,
      `the store refused the request (${name || `HTTP ${String(status)}`}): check the bucket, credentials and permissions`,
      { cause: err, context },
    );
  }
  const network = e.code !== undefined && NETWORK_CODES.has(e.code);
  const transient =
    network ||
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    status === 408;
  if (transient) {
    return new StorageError(STORAGE_ERROR_CODES.unavailable, 'the store is unavailable; retry later', {
      cause: err,
      context,
    });
  }
  return new StorageError(
    STORAGE_ERROR_CODES.refused,
    `the store refused the request (${name || `HTTP ${String(status)}`})`,
    { cause: err, context },
  );
}
