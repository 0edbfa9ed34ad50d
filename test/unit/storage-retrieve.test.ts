import type { Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CachingKeyProvider, EncryptionCodec, MemoryKeyStore } from '../../codec/index.js';
import { STORAGE_ERROR_CODES, StorageError, isStorageError } from '../../codec/storage/index.js';
import { retrieveReferences, type RetrieveOptions } from '../../codec-server/index.js';
import {
  jsonPayload,
  memoryStorage,
  referenceWithData,
  sealAndStore,
  storageSettings,
  workflowTarget,
} from '../../harness/storage-fixtures.js';

const options: RetrieveOptions = { maxReferences: 20, timeoutMs: 10_000 };

function codec(namespace = 'default'): EncryptionCodec {
  const store = new MemoryKeyStore();
  store.rotate(namespace);
  return new EncryptionCodec({ namespace, keyProvider: new CachingKeyProvider(store) });
}

async function storedReferences(count: number, namespace = 'default') {
  const storage = memoryStorage();
  const values = Array.from({ length: count }, (_, i) => jsonPayload(`value ${i}`));
  const references = await sealAndStore(codec(namespace), storage.externalStorage, values, workflowTarget(namespace));
  storage.store.requests.length = 0;
  return { ...storage, references };
}

function withClaim(reference: Payload, change: Record<string, string>): Payload {
  const json = JSON.parse(new TextDecoder().decode(reference.data)) as { driverName: string; claimData: object };
  return {
    ...reference,
    data: new TextEncoder().encode(JSON.stringify({ ...json, claimData: { ...json.claimData, ...change } })),
  };
}

describe('retrieveReferences', () => {
  it('answers the stored (sealed) payload for each reference, undefined for other payloads, in order', async () => {
    const { registry, references } = await storedReferences(2);
    const plain = jsonPayload('inline');
    const outcomes = await retrieveReferences(
      registry.get('default'),
      [references[0]!, plain, references[1]!],
      options,
    );
    expect(outcomes[1]).toBeUndefined();
    for (const outcome of [outcomes[0], outcomes[2]]) {
      expect(outcome?.ok).toBe(true);
      if (outcome?.ok !== true) continue;
      expect(new TextDecoder().decode(outcome.payload.metadata!.encoding)).toBe('binary/encrypted');
      expect(outcome.object).toMatch(
        /^payloads-test\/v0\/ns\/default\/wt\/StoreTest\/wi\/wf-1\/ri\/run-1\/d\/sha256\/[0-9a-f]{64}$/,
      );
    }
  });

  it('makes no storage request for a malformed reference, and reports it per reference', async () => {
    const { registry, store, references } = await storedReferences(1);
    const outcomes = await retrieveReferences(
      registry.get('default'),
      [referenceWithData('{"driverName":'), references[0]!, referenceWithData('{"driverName":"aws.s3driver"}')],
      options,
    );
    expect(outcomes.map((o) => (o?.ok === false ? o.error.code : 'ok'))).toEqual([
      STORAGE_ERROR_CODES.malformedReference,
      'ok',
      STORAGE_ERROR_CODES.malformedReference,
    ]);
    expect(store.count('get')).toBe(1);
  });

  it('makes no storage request for a foreign reference: another driver, bucket, or namespace key prefix', async () => {
    const { registry, store, references } = await storedReferences(1);
    const [reference] = references;
    const otherDriver = {
      ...reference!,
      data: new TextEncoder().encode(new TextDecoder().decode(reference!.data).replace('aws.s3driver', 'gcs')),
    };
    const otherBucket = withClaim(reference!, { bucket: 'someone-elses' });
    const fromOrders = await storedReferences(1, 'orders');
    const outcomes = await retrieveReferences(
      registry.get('default'),
      [otherDriver, otherBucket, fromOrders.references[0]!],
      options,
    );
    expect(outcomes.map((o) => (o?.ok === false ? o.error.code : 'ok'))).toEqual(
      Array(3).fill(STORAGE_ERROR_CODES.foreignReference),
    );
    expect(store.requests).toEqual([]);
  });

  it('makes no storage request when the namespace has no storage: ERR_STORAGE_NOT_CONFIGURED per reference', async () => {
    const { store, references } = await storedReferences(1);
    const outcomes = await retrieveReferences(undefined, references, options);
    expect(outcomes[0]?.ok === false && outcomes[0].error.code).toBe(STORAGE_ERROR_CODES.notConfigured);
    expect(store.requests).toEqual([]);
  });

  it('refuses more references than the limit before any request', async () => {
    const { registry, store, references } = await storedReferences(3);
    await expect(
      retrieveReferences(registry.get('default'), references, { ...options, maxReferences: 2 }),
    ).rejects.toSatisfy((err) => isStorageError(err, STORAGE_ERROR_CODES.tooManyReferences));
    expect(store.requests).toEqual([]);
  });

  it('refuses a reference announcing more bytes than the blob limit before any request', async () => {
    const storage = memoryStorage(storageSettings({ maxBlobBytes: 100 }));
    const references = await sealAndStore(codec(), storage.externalStorage, [jsonPayload('x'.repeat(500))]);
    storage.store.requests.length = 0;
    const [outcome] = await retrieveReferences(storage.registry.get('default'), references, options);
    expect(outcome?.ok === false && outcome.error.code).toBe(STORAGE_ERROR_CODES.blobTooLarge);
    expect(storage.store.requests).toEqual([]);
  });

  it('reports a missing object as ERR_STORAGE_OBJECT_NOT_FOUND and bytes that do not match the hash as ERR_STORAGE_INTEGRITY', async () => {
    const { registry, store, references } = await storedReferences(2);
    const keys = [...store.objects.keys()];
    store.objects.delete(keys[0]!);
    store.objects.set(keys[1]!, new Uint8Array([1, 2, 3]));
    const outcomes = await retrieveReferences(registry.get('default'), references, options);
    expect(outcomes.map((o) => (o?.ok === false ? o.error.code : 'ok')).sort()).toEqual(
      [STORAGE_ERROR_CODES.integrity, STORAGE_ERROR_CODES.objectNotFound].sort(),
    );
  });

  it('keeps at most 4 requests in flight, and stops asking the store after it is found down', async () => {
    const { registry, store, references } = await storedReferences(12);
    store.delayMs = 5;
    await retrieveReferences(registry.get('default'), references, options);
    expect(store.maxInFlight).toBe(4);
    store.requests.length = 0;
    store.failWith = new StorageError(STORAGE_ERROR_CODES.unavailable, 'down');
    const outcomes = await retrieveReferences(registry.get('default'), references, options);
    expect(outcomes.every((o) => o?.ok === false && o.error.code === STORAGE_ERROR_CODES.unavailable)).toBe(true);
    expect(outcomes.every((o) => o?.ok === false && o.error.retryable)).toBe(true);
    // The first lanes had started; no request is made once the batch is aborted.
    expect(store.count('get')).toBeLessThanOrEqual(4);
  });
});
