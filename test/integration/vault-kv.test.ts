import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  CodecError,
  EncryptionCodec,
  ERROR_CODES,
  METADATA_KEYS,
  VaultClient,
  type CachingKeyProvider,
  type CodecErrorCode,
} from '../../codec/index.js';
import { startCountingProxy } from '../../harness/counting-proxy.js';
import { jsonPayload, jsonValue, kvProvider, uniquePrefix } from '../support/vault-fixtures.js';

const vault = inject('vault');
const prefix = uniquePrefix('kv');
const providers: CachingKeyProvider[] = [];
afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
});

function fresh(options: Parameters<typeof kvProvider>[1] = { pathPrefix: prefix }) {
  const made = kvProvider(vault, options);
  providers.push(made.provider);
  return made;
}

async function codeOf(promise: Promise<unknown>): Promise<CodecErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).code;
  }
}

const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

describe('Vault KV v2 key provider against OpenBao', () => {
  it.each([0, 1, 1024, 1024 * 1024])('round-trips a %i-byte payload', async (size) => {
    const { store, provider } = fresh();
    const namespace = `rt-${size}`;
    await store.createKey(namespace);
    const codec = new EncryptionCodec({ namespace, keyProvider: provider });
    const data = randomBytes(size);
    const [encoded] = await codec.encode([{ metadata: { encoding: new TextEncoder().encode('binary/plain') }, data }]);
    expect(text(encoded!.metadata![METADATA_KEYS.keyVersion])).toBe('1');
    // A second provider with a cold cache proves the key really comes from OpenBao.
    const [decoded] = await new EncryptionCodec({ namespace, keyProvider: fresh().provider }).decode([encoded!]);
    expect(Buffer.from(decoded!.data ?? []).equals(data)).toBe(true);
  });

  it('writes max_versions explicitly, so version 1 still decodes after 12 rotations', async () => {
    const { store, provider, client } = fresh({ pathPrefix: prefix, cache: { latestTtlMs: 0 } });
    await store.createKey('many');
    const codec = new EncryptionCodec({ namespace: 'many', keyProvider: provider });
    const [first] = await codec.encode([jsonPayload('version one')]);
    for (let i = 0; i < 12; i++) await store.rotateKey('many');
    const [latest] = await codec.encode([jsonPayload('version thirteen')]);
    expect(text(latest!.metadata![METADATA_KEYS.keyVersion])).toBe('13');
    const metadata = await client.request<{ data: { max_versions: number } }>('GET', `/secret/metadata/${prefix}many`);
    expect(metadata!.data.max_versions).toBeGreaterThan(13);
    const cold = new EncryptionCodec({ namespace: 'many', keyProvider: fresh().provider });
    expect((await cold.decode([first!, latest!])).map(jsonValue)).toEqual(['version one', 'version thirteen']);
  });

  it('encodes with the new version after rotation while old payloads keep decoding', async () => {
    const { store, provider } = fresh({ pathPrefix: prefix, cache: { latestTtlMs: 0 } });
    await store.createKey('rotating');
    const codec = new EncryptionCodec({ namespace: 'rotating', keyProvider: provider });
    const [before] = await codec.encode([jsonPayload('before')]);
    await store.rotateKey('rotating');
    const [after] = await codec.encode([jsonPayload('after')]);
    expect(text(before!.metadata![METADATA_KEYS.keyVersion])).toBe('1');
    expect(text(after!.metadata![METADATA_KEYS.keyVersion])).toBe('2');
    expect((await codec.decode([before!, after!])).map(jsonValue)).toEqual(['before', 'after']);
  });

  it('makes exactly one Vault read for 1,000 concurrent encodes on a cold cache', async () => {
    await fresh().store.createKey('concurrent');
    const proxy = await startCountingProxy(vault.addr);
    try {
      proxy.setDelay(50);
      const { provider } = fresh({ pathPrefix: prefix, client: { endpoint: proxy.url } });
      const codec = new EncryptionCodec({ namespace: 'concurrent', keyProvider: provider });
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => codec.encode([jsonPayload(i)])));
      expect(results).toHaveLength(1000);
      expect(proxy.count()).toBe(1);
      expect(proxy.requests[0]!.path).toBe(`/v1/secret/data/${prefix}concurrent`);
      // Decoding all of them needs no further request: the version is cached.
      const decoded = await Promise.all(results.map((r) => codec.decode(r)));
      expect(decoded.map((d) => jsonValue(d[0]))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(proxy.count()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('makes one Vault read for 1,000 concurrent decodes of a cold version', async () => {
    const { store, provider } = fresh();
    await store.createKey('cold-decode');
    const payloads = await new EncryptionCodec({ namespace: 'cold-decode', keyProvider: provider }).encode(
      Array.from({ length: 1000 }, (_, i) => jsonPayload(i)),
    );
    const proxy = await startCountingProxy(vault.addr);
    try {
      proxy.setDelay(50);
      const cold = new EncryptionCodec({
        namespace: 'cold-decode',
        keyProvider: fresh({ pathPrefix: prefix, client: { endpoint: proxy.url } }).provider,
      });
      const decoded = await Promise.all(payloads.map((p) => cold.decode([p])));
      expect(decoded).toHaveLength(1000);
      expect(proxy.count()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a payload from another namespace, an edited version and a flipped bit', async () => {
    const { store, provider } = fresh();
    await store.createKey('ns-a');
    await store.createKey('ns-b');
    await store.rotateKey('ns-a');
    const a = new EncryptionCodec({ namespace: 'ns-a', keyProvider: provider });
    const b = new EncryptionCodec({ namespace: 'ns-b', keyProvider: provider });
    const [payload] = await a.encode([jsonPayload('secret')]);
    expect(await codeOf(b.decode([payload!]))).toBe(ERROR_CODES.namespaceMismatch);
    const edited = {
      metadata: { ...payload!.metadata, [METADATA_KEYS.keyVersion]: new TextEncoder().encode('1') },
      data: payload!.data,
    };
    expect(await codeOf(a.decode([edited]))).toBe(ERROR_CODES.decryptionFailed);
    const flipped = Uint8Array.from(payload!.data!);
    flipped[flipped.length - 20]! ^= 0x01;
    expect(await codeOf(a.decode([{ metadata: payload!.metadata, data: flipped }]))).toBe(ERROR_CODES.decryptionFailed);
  });

  it('reports unknown keys and versions, destroyed versions, and skips deactivated ones for encryption', async () => {
    const { store, provider } = fresh({ pathPrefix: prefix, cache: { latestTtlMs: 0, versionMaxAgeMs: 0 } });
    const codec = new EncryptionCodec({ namespace: 'lifecycle', keyProvider: provider, decryptKeyMaxAgeMs: 0 });
    expect(await codeOf(codec.encode([jsonPayload('x')]))).toBe(ERROR_CODES.unknownKey);
    await store.createKey('lifecycle');
    const [v1] = await codec.encode([jsonPayload('one')]);
    await store.rotateKey('lifecycle');
    const [v2] = await codec.encode([jsonPayload('two')]);
    const unknown = {
      metadata: { ...v1!.metadata, [METADATA_KEYS.keyVersion]: new TextEncoder().encode('9') },
      data: v1!.data,
    };
    expect(await codeOf(codec.decode([unknown]))).toBe(ERROR_CODES.unknownKeyVersion);
    await store.setVersionState('lifecycle', 2, 'inactive');
    const [afterDeactivate] = await codec.encode([jsonPayload('three')]);
    expect(text(afterDeactivate!.metadata![METADATA_KEYS.keyVersion])).toBe('1');
    expect(jsonValue((await codec.decode([v2!]))[0])).toBe('two');
    await store.setVersionState('lifecycle', 1, 'destroyed');
    expect(await codeOf(codec.decode([v1!]))).toBe(ERROR_CODES.keyVersionDestroyed);
    expect((await store.listVersions('lifecycle')).map((v) => v.state)).toEqual(['destroyed', 'inactive']);
  });

  it('maps a token without permission to ERR_KEY_SOURCE_DENIED (not retryable)', async () => {
    const root = new VaultClient({ endpoint: vault.addr, token: vault.token });
    const created = await root.request<{ auth: { client_token: string } }>('POST', '/auth/token/create', {
      policies: ['default'],
      no_default_policy: false,
      ttl: '5m',
    });
    const { provider } = fresh({ pathPrefix: prefix, client: { token: created!.auth.client_token } });
    const err = await new EncryptionCodec({ namespace: 'denied', keyProvider: provider })
      .encode([jsonPayload('x')])
      .catch((e: unknown) => e);
    expect((err as CodecError).code).toBe(ERROR_CODES.keySourceDenied);
    expect((err as CodecError).retryable).toBe(false);
  });
});
