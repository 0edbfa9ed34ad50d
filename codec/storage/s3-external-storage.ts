import type { S3Client } from '@aws-sdk/client-s3';
import { ExternalStorage } from '@temporalio/common';
import { S3StorageDriver } from '@temporalio/external-storage-s3';
import { createS3Client, describeConnection, type S3ConnectionOptions } from './s3-client-factory.js';
import { S3ObjectClient } from './s3-object-client.js';

/** The S3 driver's default name, written into every reference (`driverName`); reader and writer must agree. */
export const DEFAULT_S3_DRIVER_NAME = 'aws.s3driver';
/** The SDK's default: payloads of at least 256 KiB are stored, smaller ones stay in the history. */
export const DEFAULT_PAYLOAD_SIZE_THRESHOLD = 256 * 1024;
/** The S3 driver's default upper bound on one stored payload. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 50 * 1024 * 1024;

/** Options of {@link createS3ExternalStorage}. */
export interface S3ExternalStorageOptions extends S3ConnectionOptions {
  readonly bucket: string;
  /** Default {@link DEFAULT_S3_DRIVER_NAME}. Change it only to run several S3 configurations side by side. */
  readonly driverName?: string;
  /** Payloads of at least this many bytes (serialized, after the codec) are stored. Default 256 KiB. */
  readonly payloadSizeThreshold?: number;
  /** Largest payload stored or retrieved. Default 50 MiB. */
  readonly maxPayloadBytes?: number;
  /** Use this client instead of one built from the connection options (the caller then owns it). */
  readonly s3?: S3Client;
}

/** External storage for a worker's or client's data converter, and the S3 client to release at shutdown. */
export interface S3ExternalStorage {
  readonly externalStorage: ExternalStorage;
  readonly driver: S3StorageDriver;
  /** Closes the S3 client's connections (not a client passed in as `s3`). */
  close(): void;
}

/**
 * External storage in S3 (or an S3-compatible store) with the SDK's S3 driver, for
 * `dataConverter: { payloadCodecs: [encryptionCodec], externalStorage }`. The SDK runs the codec first and stores
 * what it produced, so the bucket only ever holds `binary/encrypted` payloads, and the history only references.
 *
 * ```
 * value -> payload converter -> EncryptionCodec -> (>= threshold) S3 put, reference into history
 * history reference -> S3 get, SHA-256 checked -> EncryptionCodec -> value
 * ```
 */
export function createS3ExternalStorage(options: S3ExternalStorageOptions): S3ExternalStorage {
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const owned = options.s3 === undefined;
  const s3 = options.s3 ?? createS3Client(options);
  const driver = new S3StorageDriver({
    client: new S3ObjectClient({ s3, maxObjectBytes: maxPayloadBytes, describe: describeConnection(options) }),
    bucket: options.bucket,
    driverName: options.driverName ?? DEFAULT_S3_DRIVER_NAME,
    maxPayloadSize: maxPayloadBytes,
  });
  const externalStorage = new ExternalStorage({
    drivers: [driver],
    payloadSizeThreshold: options.payloadSizeThreshold ?? DEFAULT_PAYLOAD_SIZE_THRESHOLD,
  });
  return { externalStorage, driver, close: () => (owned ? s3.destroy() : undefined) };
}
