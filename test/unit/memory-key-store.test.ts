import { describe, expect, it } from 'vitest';
import { CachingKeyProvider, EncryptionCodec, ERROR_CODES, MemoryKeyStore } from '../../codec/index.js';
import { jsonPayload, jsonValue } from '../support/vault-fixtures.js';

describe('MemoryKeyStore', () => {
  it("creates a namespace's key on its first encryption, as the local keyring does", async () => {
    const store = new MemoryKeyStore();
    const provider = new CachingKeyProvider(store);
    const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: provider });
    const sealed = await codec.encode([jsonPayload({ card: '4242' })]);
    expect((await codec.decode(sealed)).map(jsonValue)).toEqual([{ card: '4242' }]);
    expect(store.listVersions('orders').map((v) => v.version)).toEqual([1]);
    await provider.close();
  });

  it('never creates a key to decode: a payload naming an unknown key fails with ERR_UNKNOWN_KEY', async () => {
    const store = new MemoryKeyStore();
    await expect(store.readVersion('orders', 1)).rejects.toMatchObject({ code: ERROR_CODES.unknownKey });
    expect(store.listVersions('orders')).toEqual([]);
  });

  it('with createMissingKeys: false, fails with ERR_UNKNOWN_KEY naming the key and how to create it', async () => {
    const store = new MemoryKeyStore({ createMissingKeys: false });
    const error: unknown = await store.readLatest('orders').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ERROR_CODES.unknownKey, context: { keyId: 'orders' } });
    // The one test here that reads a message: the message is the fix this store's users need.
    expect((error as Error).message).toContain('rotate("orders")');
    store.rotate('orders');
    expect((await store.readLatest('orders')).version).toBe(1);
  });

  it('keeps using the newest active version once a key exists', async () => {
    const store = new MemoryKeyStore();
    store.rotate('orders');
    store.rotate('orders');
    store.setState('orders', 2, 'inactive');
    expect((await store.readLatest('orders')).version).toBe(1);
    store.setState('orders', 1, 'destroyed');
    await expect(store.readLatest('orders')).rejects.toMatchObject({ code: ERROR_CODES.unknownKeyVersion });
  });
});
