import { describe, expect, it } from 'vitest';
import { CodecError } from '../../codec/index.js';
import { createStorageRegistry, loadConfig, parseStorageConfig, usage } from '../../codec-server/index.js';

function configError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof CodecError && err.code === 'ERR_INVALID_CONFIG') return err.message;
    throw err;
  }
  throw new Error('no configuration error');
}

describe('codec server storage settings', () => {
  it('has storage off by default, with the default limits', () => {
    expect(loadConfig({}, []).storage).toEqual({
      limits: { maxBlobBytes: 50 * 1024 * 1024, maxReferences: 20, timeoutMs: 10_000 },
    });
  });

  it('reads the bucket, endpoint, key prefix, driver name and limits from flags, and the region from AWS_REGION', () => {
    const config = loadConfig({ AWS_REGION: 'eu-west-1', CODEC_STORAGE_BUCKET: 'payloads' }, [
      '--storage-endpoint',
      'http://127.0.0.1:9000',
      '--storage-key-prefix',
      'v0/',
      '--storage-driver-name',
      'archive',
      '--storage-max-blob',
      '8mb',
      '--storage-max-references',
      '5',
      '--storage-timeout-ms',
      '2000',
    ]);
    expect(config.storage).toEqual({
      shared: { bucket: 'payloads', endpoint: 'http://127.0.0.1:9000', keyPrefix: 'v0/', driverName: 'archive' },
      region: 'eu-west-1',
      limits: { maxBlobBytes: 8 * 1024 * 1024, maxReferences: 5, timeoutMs: 2000 },
    });
  });

  it('defaults the key prefix to the namespace part of the S3 driver layout and the driver name to aws.s3driver', () => {
    expect(loadConfig({}, ['--storage-bucket', 'payloads']).storage.shared).toEqual({
      bucket: 'payloads',
      keyPrefix: 'v0/ns/{namespace}/',
      driverName: 'aws.s3driver',
    });
  });

  it('refuses a bad bucket name, and settings that need a bucket without one, naming the flag', () => {
    expect(configError(() => loadConfig({}, ['--storage-bucket', 'Bad_Bucket']))).toContain('--storage-bucket');
    expect(configError(() => loadConfig({}, ['--storage-endpoint', 'http://127.0.0.1:9000']))).toContain(
      '--storage-endpoint (CODEC_STORAGE_ENDPOINT): needs --storage-bucket',
    );
    expect(configError(() => loadConfig({}, ['--storage-max-references', '0']))).toContain('--storage-max-references');
  });

  it('lists every storage flag in --help', () => {
    for (const flag of [
      '--storage-bucket',
      '--storage-endpoint',
      '--storage-region',
      '--storage-key-prefix',
      '--storage-config',
    ]) {
      expect(usage()).toContain(flag);
    }
  });
});

describe('the --storage-config file', () => {
  const file = JSON.stringify({
    orders: { bucket: 'orders-payloads', region: 'eu-central-1' },
    '*': { bucket: 'shared-payloads', endpoint: 'http://127.0.0.1:9000', keyPrefix: 'v0/', driverName: 'archive' },
  });

  it('gives each namespace its entry, the others the * entry', async () => {
    const config = loadConfig({}, ['--storage-config', 'storage.json']);
    const registry = await createStorageRegistry(config.storage, () => Promise.resolve(file));
    expect(registry.settingsOf('orders')).toEqual({
      bucket: 'orders-payloads',
      region: 'eu-central-1',
      keyPrefix: 'v0/ns/{namespace}/',
      driverName: 'aws.s3driver',
    });
    expect(registry.settingsOf('billing')?.bucket).toBe('shared-payloads');
    registry.close();
  });

  it('refuses unknown fields, bad names and values, naming the file', () => {
    expect(configError(() => parseStorageConfig('{"orders":{"bucket":"b-1","bukcet":"x"}}', 'f.json'))).toContain(
      'f.json',
    );
    expect(configError(() => parseStorageConfig('{"a/b":{"bucket":"b-1"}}', 'f.json'))).toContain('not a namespace');
    expect(configError(() => parseStorageConfig('{"orders":{"bucket":"B"}}', 'f.json'))).toContain('orders.bucket');
    expect(configError(() => parseStorageConfig('[', 'f.json'))).toContain('not valid JSON');
  });

  it('refuses a * entry together with --storage-bucket, and a file that cannot be read', async () => {
    const both = loadConfig({}, ['--storage-config', 'storage.json', '--storage-bucket', 'payloads']);
    await expect(createStorageRegistry(both.storage, () => Promise.resolve(file))).rejects.toThrow(/keep one/);
    const only = loadConfig({}, ['--storage-config', 'missing.json']);
    await expect(createStorageRegistry(only.storage, () => Promise.reject(new Error('ENOENT')))).rejects.toThrow(
      /cannot read --storage-config missing.json/,
    );
  });
});
