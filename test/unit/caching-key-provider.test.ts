import { describe, expect, it } from 'vitest';
import {
  CachingKeyProvider,
  CodecError,
  EncryptionCodec,
  ERROR_CODES,
  MemoryKeyStore,
  METADATA_KEYS,
} from '../../codec/index.js';
import { LruCache } from '../../codec/cache/lru-cache.js';
import { scope } from '../support/key-scope.js';

function setup(options: ConstructorParameters<typeof CachingKeyProvider>[1] = {}) {
  const store = new MemoryKeyStore();
  store.rotate('ns');
  let now = 1_000_000;
  const events: string[] = [];
  const provider = new CachingKeyProvider(store, {
    now: () => now,
    observer: {
      cacheHit: (k) => events.push(`hit:${k}`),
      cacheMiss: (k) => events.push(`miss:${k}`),
      staleServed: (k) => events.push(`stale:${k}`),
    },
    ...options,
  });
  return { store, provider, events, advance: (ms: number) => (now += ms) };
}
const outage = () => new CodecError(ERROR_CODES.keySourceUnavailable, 'down');

describe('CachingKeyProvider', () => {
  it('caches the newest version for latestTtlMs, then asks again so rotations propagate', async () => {
    const { store, provider, advance } = setup({ latestTtlMs: 60_000 });
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(1);
    store.rotate('ns');
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(1);
    advance(60_001);
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(2);
    expect(store.reads).toBe(2);
  });

  it('shares one store read among concurrent misses', async () => {
    const { store, provider } = setup();
    await Promise.all(Array.from({ length: 100 }, () => provider.encryptionKey(scope('ns'), 1)));
    await Promise.all(
      Array.from({ length: 100 }, () => provider.decryptionKey(scope('ns'), { keyId: 'ns', version: 1 })),
    );
    expect(store.reads).toBe(1);
  });

  it('hands out copies: zeroing one does not damage the cache', async () => {
    const { provider } = setup();
    const first = await provider.encryptionKey(scope('ns'), 1);
    const hex = first.key.toString('hex');
    first.key.fill(0);
    expect((await provider.encryptionKey(scope('ns'), 1)).key.toString('hex')).toBe(hex);
  });

  it('serves stale keys for staleIfErrorMs when the store fails, then gives up with the retryable error', async () => {
    const { store, provider, advance, events } = setup({
      latestTtlMs: 1000,
      versionMaxAgeMs: 1000,
      staleIfErrorMs: 10_000,
    });
    await provider.encryptionKey(scope('ns'), 1);
    store.failWith = outage();
    advance(5000);
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(1);
    expect((await provider.decryptionKey(scope('ns'), { keyId: 'ns', version: 1 })).version).toBe(1);
    expect(events).toContain('stale:latest');
    expect(events).toContain('stale:version');
    advance(10_000);
    await expect(provider.encryptionKey(scope('ns'), 1)).rejects.toMatchObject({
      code: ERROR_CODES.keySourceUnavailable,
      retryable: true,
    });
  });

  it('keeps encrypting with the last known newest version for encryptStaleIfErrorMs (default 4 h) during an outage', async () => {
    const { store, provider, advance } = setup({ latestTtlMs: 1000, versionMaxAgeMs: 1000 });
    await provider.encryptionKey(scope('ns'), 1);
    store.failWith = outage();
    advance(3 * 3_600_000);
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(1);
    // Decryption keys follow the shorter staleIfErrorMs (15 min by default).
    await expect(provider.decryptionKey(scope('ns'), { keyId: 'ns', version: 1 })).rejects.toMatchObject({
      code: ERROR_CODES.keySourceUnavailable,
    });
    advance(3_600_000 + 2000);
    await expect(provider.encryptionKey(scope('ns'), 1)).rejects.toMatchObject({
      code: ERROR_CODES.keySourceUnavailable,
    });
  });

  it('does not serve stale keys on non-retryable errors, and forgets a version the store says is destroyed', async () => {
    const { store, provider, advance } = setup({ versionMaxAgeMs: 1000, negativeTtlMs: 0 });
    await provider.decryptionKey(scope('ns'), { keyId: 'ns', version: 1 });
    store.setState('ns', 1, 'destroyed');
    advance(1001);
    await expect(provider.decryptionKey(scope('ns'), { keyId: 'ns', version: 1 })).rejects.toMatchObject({
      code: ERROR_CODES.keyVersionDestroyed,
    });
    store.failWith = outage();
    await expect(provider.decryptionKey(scope('ns'), { keyId: 'ns', version: 1 })).rejects.toMatchObject({
      code: ERROR_CODES.keySourceUnavailable,
    });
  });

  it('remembers "no such version" for negativeTtlMs: repeats ask the store nothing until it expires', async () => {
    const { store, provider, advance } = setup({ negativeTtlMs: 10_000 });
    const unknown = { keyId: 'ns', version: 99 };
    for (let i = 0; i < 3; i++) {
      await expect(provider.decryptionKey(scope('ns'), unknown)).rejects.toMatchObject({
        code: ERROR_CODES.unknownKeyVersion,
      });
    }
    expect(store.reads).toBe(1);
    advance(10_001);
    await expect(provider.decryptionKey(scope('ns'), unknown)).rejects.toMatchObject({
      code: ERROR_CODES.unknownKeyVersion,
    });
    expect(store.reads).toBe(2);
  });

  it('refuses (in the codec, before the store is read) a key id that does not belong to the namespace', async () => {
    const { provider, store } = setup();
    const codec = new EncryptionCodec({ namespace: 'ns', keyProvider: provider });
    const [sealed] = await codec.encode([{ metadata: {}, data: new Uint8Array([1]) }]);
    const foreign = { ...sealed!.metadata, [METADATA_KEYS.keyId]: new TextEncoder().encode('other') };
    const reads = store.reads;
    await expect(codec.decode([{ metadata: foreign, data: sealed!.data }])).rejects.toMatchObject({
      code: ERROR_CODES.namespaceMismatch,
    });
    expect(store.reads).toBe(reads);
  });

  it('zeroes cached key bytes on eviction and on close', async () => {
    const { provider } = setup();
    const evicted: Buffer[] = [];
    const lru = new LruCache<string, Buffer>({
      maxEntries: 1,
      onEvict: (b) => {
        evicted.push(b);
        b.fill(0);
      },
    });
    const a = Buffer.from('aaaa');
    lru.set('a', a);
    lru.set('b', Buffer.from('bbbb'));
    expect(evicted).toEqual([a]);
    expect(a.every((x) => x === 0)).toBe(true);
    await provider.encryptionKey(scope('ns'), 1);
    await provider.close();
  });

  it('validates its options', () => {
    expect(() => new CachingKeyProvider(new MemoryKeyStore(), { latestTtlMs: -1 })).toThrow(CodecError);
    expect(() => new CachingKeyProvider(new MemoryKeyStore(), { maxCachedVersions: 0 })).toThrow(RangeError);
  });
});
