export {
  STORAGE_ERROR_CODES,
  StorageError,
  isStorageError,
  type StorageErrorCode,
  type StorageErrorContext,
} from './storage-errors.js';
export { parseS3Claim, parseStorageReference, type S3Claim, type StorageReference } from './storage-reference.js';
export { classifyS3Error } from './s3-errors.js';
export { S3ObjectClient, type S3ObjectClientOptions } from './s3-object-client.js';
export { createS3Client, describeConnection, type S3ConnectionOptions } from './s3-client-factory.js';
export {
  createS3ExternalStorage,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PAYLOAD_SIZE_THRESHOLD,
  DEFAULT_S3_DRIVER_NAME,
  type S3ExternalStorage,
  type S3ExternalStorageOptions,
} from './s3-external-storage.js';
export { isStorageReference } from '../wire-format.js';
