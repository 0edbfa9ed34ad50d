import { describe, expect, it } from 'vitest';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createExampleStorage } from '../../worker-example/create-storage.js';
import { createDataConverter } from '../../worker-example/data-converter.js';
import { CachingKeyProvider, EncryptionCodec, MemoryKeyStore } from '../../codec/index.js';

describe('worker example: external storage', () => {
  it('is off by default: every payload stays in the history, the data converter has no external storage', () => {
    const config = loadExampleConfig({});
    expect(config.storage).toBeUndefined();
    expect(createExampleStorage(config)).toBeUndefined();
  });

  it('is turned on by EXTERNAL_STORAGE=s3, with the codec server’s variable names', () => {
    const config = loadExampleConfig({
      EXTERNAL_STORAGE: 's3',
      CODEC_STORAGE_BUCKET: 'payloads',
      CODEC_STORAGE_ENDPOINT: 'http://127.0.0.1:9000',
      AWS_REGION: 'eu-west-1',
      CODEC_STORAGE_THRESHOLD: '1024',
    });
    expect(config.storage).toEqual({
      bucket: 'payloads',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      thresholdBytes: 1024,
    });
    const storage = createExampleStorage(config)!;
    try {
      expect(storage.externalStorage.payloadSizeThreshold).toBe(1024);
      expect(storage.driver.name).toBe('aws.s3driver');
      const store = new MemoryKeyStore();
      store.rotate('default');
      const codec = new EncryptionCodec({ namespace: 'default', keyProvider: new CachingKeyProvider(store) });
      // The codec runs first, the store gets what the codec produced.
      expect(createDataConverter(codec, storage.externalStorage)).toMatchObject({
        payloadCodecs: [codec],
        externalStorage: storage.externalStorage,
      });
    } finally {
      storage.close();
    }
  });

  it('refuses EXTERNAL_STORAGE=s3 without a bucket, and unknown modes', () => {
    expect(() => loadExampleConfig({ EXTERNAL_STORAGE: 's3' })).toThrow(/CODEC_STORAGE_BUCKET/);
    expect(() => loadExampleConfig({ EXTERNAL_STORAGE: 'gcs', CODEC_STORAGE_BUCKET: 'b' })).toThrow(/EXTERNAL_STORAGE/);
  });
});
