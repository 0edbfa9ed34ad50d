import type { Payload } from '@temporalio/common';
import { encodeReferencePayload } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { StorageDriverClaim } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec, MemoryKeyStore, CachingKeyProvider, isStorageReference } from '../../codec/index.js';
import {
  STORAGE_ERROR_CODES,
  isStorageError,
  parseS3Claim,
  parseStorageReference,
  type StorageErrorCode,
} from '../../codec/storage/index.js';
import { jsonPayload, memoryStorage, referenceWithData, sealAndStore } from '../../harness/storage-fixtures.js';

const hash = 'ab'.repeat(32);
const claim = {
  bucket: 'payloads',
  key: `v0/ns/orders/wt/T/wi/w/ri/r/d/sha256/${hash}`,
  hashAlgorithm: 'sha256',
  hashValue: hash,
};

/** A reference exactly as the TypeScript SDK 1.24 writes one. */
function sdkReference(claimData: Record<string, string> = claim, sizeBytes = 3 * 1024 * 1024): Payload {
  return encodeReferencePayload({ driverName: 'aws.s3driver', claim: new StorageDriverClaim(claimData), sizeBytes });
}

function codeOf(run: () => unknown): StorageErrorCode | undefined {
  try {
    run();
  } catch (err) {
    if (isStorageError(err)) return err.code;
    throw err;
  }
  return undefined;
}

function codec(): EncryptionCodec {
  const store = new MemoryKeyStore();
  store.rotate('default');
  return new EncryptionCodec({ namespace: 'default', keyProvider: new CachingKeyProvider(store) });
}

describe('the storage reference wire shape', () => {
  it('is json/protobuf with the ExternalStorageReference message type, the claim as protojson, the size in externalPayloads', () => {
    const reference = sdkReference();
    const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());
    expect(text(reference.metadata?.encoding)).toBe('json/protobuf');
    expect(text(reference.metadata?.messageType)).toBe('temporal.api.sdk.v1.ExternalStorageReference');
    expect(JSON.parse(text(reference.data))).toEqual({ driverName: 'aws.s3driver', claimData: claim });
    expect(isStorageReference(reference)).toBe(true);
    expect(parseStorageReference(reference)).toEqual({
      driverName: 'aws.s3driver',
      claimData: claim,
      sizeBytes: 3145728,
    });
  });

  it('is recognised by both metadata fields, not by the message type alone', () => {
    const reference = sdkReference();
    const plainEncoding = {
      ...reference,
      metadata: { ...reference.metadata, encoding: new TextEncoder().encode('json/plain') },
    };
    expect(isStorageReference(plainEncoding)).toBe(false);
    expect(isStorageReference(jsonPayload({ messageType: 'temporal.api.sdk.v1.ExternalStorageReference' }))).toBe(
      false,
    );
    expect(codeOf(() => parseStorageReference(jsonPayload('x')))).toBe(STORAGE_ERROR_CODES.notReference);
  });

  it.each([
    ['empty data', ''],
    ['not JSON', '{"driverName":'],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['an array', '[]'],
    ['no driver name', '{"claimData":{}}'],
    ['an empty driver name', '{"driverName":"","claimData":{}}'],
    ['a numeric driver name', '{"driverName":1}'],
    ['claim data that is not an object', '{"driverName":"aws.s3driver","claimData":[]}'],
    ['a claim value that is not a string', '{"driverName":"aws.s3driver","claimData":{"bucket":1}}'],
    ['data over 16 KiB', `{"driverName":"${'d'.repeat(17_000)}"}`],
  ])('refuses a reference with %s as ERR_STORAGE_REFERENCE_MALFORMED', (_name, data) => {
    expect(codeOf(() => parseStorageReference(referenceWithData(data)))).toBe(STORAGE_ERROR_CODES.malformedReference);
  });

  it('refuses a negative announced size, and two externalPayloads entries', () => {
    const data = '{"driverName":"aws.s3driver","claimData":{}}';
    expect(codeOf(() => parseStorageReference(referenceWithData(data, -1)))).toBe(
      STORAGE_ERROR_CODES.malformedReference,
    );
    const two = { ...referenceWithData(data), externalPayloads: [{}, {}] };
    expect(codeOf(() => parseStorageReference(two))).toBe(STORAGE_ERROR_CODES.malformedReference);
  });
});

describe('the S3 claim', () => {
  it('accepts the driver layout, the fallback key included', () => {
    expect(parseS3Claim(claim)).toEqual(claim);
    expect(parseS3Claim({ ...claim, key: `v0/d/sha256/${hash}` }).key).toBe(`v0/d/sha256/${hash}`);
  });

  it.each([
    ['a key that names another hash', { key: `v0/ns/orders/d/sha256/${'cd'.repeat(32)}` }],
    ['a key outside v0/', { key: `secrets/d/sha256/${hash}` }],
    ['a key with ..', { key: `v0/ns/../other/d/sha256/${hash}` }],
    ['a key with //', { key: `v0//d/sha256/${hash}` }],
    ['an upper-case hash', { hashValue: hash.toUpperCase() }],
    ['another hash algorithm', { hashAlgorithm: 'md5' }],
    ['a bucket that is no bucket name', { bucket: 'Payloads/../x' }],
    ['no bucket', { bucket: undefined }],
  ])('refuses %s', (_name, change) => {
    const claimData = Object.fromEntries(
      Object.entries({ ...claim, ...change }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    expect(codeOf(() => parseS3Claim(claimData))).toBe(STORAGE_ERROR_CODES.malformedReference);
  });
});

describe('EncryptionCodec and storage references', () => {
  it('encode leaves a reference untouched (the same object) and seals the payloads next to it', async () => {
    const c = codec();
    const reference = sdkReference();
    const [sealed, passed] = await c.encode([jsonPayload('secret'), reference]);
    expect(passed).toBe(reference);
    expect(new TextDecoder().decode(sealed?.metadata?.encoding ?? new Uint8Array())).toBe('binary/encrypted');
  });

  it('decode leaves a reference untouched, and decodeSettled reports it decoded as itself', async () => {
    const c = codec();
    const reference = sdkReference();
    expect((await c.decode([reference]))[0]).toBe(reference);
    expect(await c.decodeSettled([reference])).toEqual([{ ok: true, payload: reference }]);
  });

  it('with the SDK storage runner after the codec, the stored object is the sealed payload, never the plaintext', async () => {
    const c = codec();
    const { store, externalStorage } = memoryStorage();
    const [reference] = await sealAndStore(c, externalStorage, [jsonPayload('top secret value')]);
    expect(isStorageReference(reference!)).toBe(true);
    const [object] = [...store.objects.values()];
    expect(Buffer.from(object!).includes(Buffer.from('top secret value'))).toBe(false);
    expect(Buffer.from(object!).includes(Buffer.from('binary/encrypted'))).toBe(true);
  });
});
