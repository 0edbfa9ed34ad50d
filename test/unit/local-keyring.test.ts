import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CachingKeyProvider, EncryptionCodec, ERROR_CODES, LocalKeyring, METADATA_KEYS } from '../../codec/index.js';
import { jsonPayload, jsonValue } from '../support/vault-fixtures.js';

function keyring(options: { createMissingKeys?: boolean } = {}) {
  const path = join(mkdtempSync(join(tmpdir(), 'keyring-')), 'nested', 'keyring.json');
  const warnings: string[] = [];
  const store = new LocalKeyring({ path, warn: (m) => warnings.push(m), ...options });
  return { path, store, warnings };
}

describe('LocalKeyring', () => {
  it('creates the file with mode 0600 on first use and warns once that it is for development', async () => {
    const { path, store, warnings } = keyring();
    const provider = new CachingKeyProvider(store);
    const codec = new EncryptionCodec({ namespace: 'default', keyProvider: provider });
    const encoded = await codec.encode([jsonPayload('a')]);
    await codec.encode([jsonPayload('b')]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warnings.filter((w) => w.includes('development only'))).toHaveLength(1);
    expect(jsonValue((await codec.decode(encoded))[0])).toBe('a');
    // The file never holds plaintext, only base64 key material and version states.
    expect(readFileSync(path, 'utf8')).not.toContain('"a"');
    await provider.close();
  });

  it('rotates, lists, deactivates and destroys versions', async () => {
    const { store } = keyring();
    await store.createKey('orders');
    await store.rotateKey('orders');
    await store.rotateKey('orders');
    expect((await store.readLatest('orders')).version).toBe(3);
    await store.setVersionState('orders', 3, 'inactive');
    expect((await store.readLatest('orders')).version).toBe(2);
    await store.setVersionState('orders', 1, 'destroyed');
    await expect(store.readVersion('orders', 1)).rejects.toMatchObject({ code: ERROR_CODES.keyVersionDestroyed });
    await expect(store.setVersionState('orders', 1, 'active')).rejects.toMatchObject({
      code: ERROR_CODES.keyVersionDestroyed,
    });
    await expect(store.readVersion('orders', 9)).rejects.toMatchObject({ code: ERROR_CODES.unknownKeyVersion });
    expect((await store.listVersions('orders')).map((v) => v.state)).toEqual(['destroyed', 'active', 'inactive']);
    expect(await store.listKeys()).toEqual(['orders']);
  });

  it('keeps old versions decoding after rotation, through the codec', async () => {
    const { store } = keyring();
    const provider = new CachingKeyProvider(store, { latestTtlMs: 0 });
    const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: provider });
    const [one] = await codec.encode([jsonPayload(1)]);
    await store.rotateKey('orders');
    const [two] = await codec.encode([jsonPayload(2)]);
    expect(new TextDecoder().decode(two!.metadata![METADATA_KEYS.keyVersion])).toBe('2');
    const reopened = new CachingKeyProvider(new LocalKeyring({ path: store.path, warn: () => undefined }));
    const decoded = await new EncryptionCodec({ namespace: 'orders', keyProvider: reopened }).decode([one!, two!]);
    expect(decoded.map(jsonValue)).toEqual([1, 2]);
    await Promise.all([provider.close(), reopened.close()]);
  });

  it('does not create keys when createMissingKeys is false', async () => {
    const { store } = keyring({ createMissingKeys: false });
    await expect(store.readLatest('nope')).rejects.toMatchObject({ code: ERROR_CODES.unknownKey });
  });

  it('creates concurrently requested keys once', async () => {
    const { store } = keyring();
    const results = await Promise.all(Array.from({ length: 10 }, () => store.readLatest('race')));
    expect(new Set(results.map((r) => r.key.toString('hex'))).size).toBe(1);
    expect(await store.listVersions('race')).toHaveLength(1);
  });

  it('rejects a file that is not a keyring with ERR_INVALID_CONFIG', async () => {
    const { path, store } = keyring();
    await store.createKey('x');
    writeFileSync(path, '{"hello":1}');
    await expect(store.readLatest('x')).rejects.toMatchObject({ code: ERROR_CODES.invalidConfig });
    writeFileSync(path, 'not json');
    await expect(store.readVersion('x', 1)).rejects.toMatchObject({ code: ERROR_CODES.invalidConfig });
  });
});
