import { createS3ExternalStorage, type S3ExternalStorage } from '../codec/storage/index.js';
import type { ExampleConfig } from './config.js';

/**
 * The example's external storage: the SDK's S3 driver over our S3 object client, when `EXTERNAL_STORAGE=s3`.
 * Worker and client must both have it (a client without it cannot read a result the worker stored).
 */
export function createExampleStorage(config: Pick<ExampleConfig, 'storage'>): S3ExternalStorage | undefined {
  const storage = config.storage;
  if (storage === undefined) return undefined;
  return createS3ExternalStorage({
    bucket: storage.bucket,
    ...(storage.endpoint === undefined ? {} : { endpoint: storage.endpoint }),
    ...(storage.region === undefined ? {} : { region: storage.region }),
    payloadSizeThreshold: storage.thresholdBytes,
  });
}
