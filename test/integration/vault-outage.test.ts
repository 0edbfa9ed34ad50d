import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecError, EncryptionCodec, ERROR_CODES, METADATA_KEYS, type CachingKeyProvider } from '../../codec/index.js';
import { OpenBaoServer } from '../../harness/openbao-server.js';
import { jsonPayload, jsonValue, kvProvider, uniquePrefix } from '../support/vault-fixtures.js';

// Its own OpenBao with file storage: this file stops and restarts it, and the keys must survive the restart.
let server: OpenBaoServer;
const prefix = uniquePrefix('outage');
const providers: CachingKeyProvider[] = [];
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

beforeAll(async () => {
  server = await OpenBaoServer.startPersistent();
  await server.enableSecretsEngine('secret', 'kv', { version: '2' });
});
afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
  await server?.stop({ signal: 'SIGKILL' });
});

function fresh(cache?: Parameters<typeof kvProvider>[1]['cache']) {
  const made = kvProvider({ addr: server.addr, token: server.token }, { pathPrefix: prefix, cache });
  providers.push(made.provider);
  return made;
}

describe('OpenBao outage', () => {
  it('serves cached keys while OpenBao is down, fails uncached versions with a retryable error, recovers after restart', async () => {
    const admin = fresh();
    await admin.store.createKey('orders');
    const [v1Payload] = await new EncryptionCodec({ namespace: 'orders', keyProvider: admin.provider }).encode([
      jsonPayload('v1'),
    ]);
    await admin.store.rotateKey('orders');

    const { provider } = fresh();
    const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: provider });
    const [v2Payload] = await codec.encode([jsonPayload('v2')]);
    expect(text(v2Payload!.metadata![METADATA_KEYS.keyVersion])).toBe('2');

    // A provider whose newest-version TTL has already expired when the outage starts: stale-if-error keeps it going.
    const stale = fresh({ latestTtlMs: 0 });
    const staleCodec = new EncryptionCodec({ namespace: 'orders', keyProvider: stale.provider });
    await staleCodec.encode([jsonPayload('warm-up')]);

    await server.halt({ signal: 'SIGKILL' });

    const [during] = await codec.encode([jsonPayload('during outage')]);
    expect(jsonValue((await codec.decode([during!]))[0])).toBe('during outage');
    expect(jsonValue((await codec.decode([v2Payload!]))[0])).toBe('v2');
    const [staleEncoded] = await staleCodec.encode([jsonPayload('stale key')]);
    expect(text(staleEncoded!.metadata![METADATA_KEYS.keyVersion])).toBe('2');

    const err = await codec.decode([v1Payload!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe(ERROR_CODES.keySourceUnavailable);
    expect((err as CodecError).retryable).toBe(true);
    await expect(provider.checkHealth()).rejects.toMatchObject({ code: ERROR_CODES.keySourceUnavailable });

    await server.restart();

    expect(jsonValue((await codec.decode([v1Payload!]))[0])).toBe('v1');
    await provider.checkHealth();
    const cold = new EncryptionCodec({ namespace: 'orders', keyProvider: fresh().provider });
    expect((await cold.decode([v1Payload!, v2Payload!, during!, staleEncoded!])).map(jsonValue)).toEqual([
      'v1',
      'v2',
      'during outage',
      'stale key',
    ]);
  });

  it('fails a cold encode with the retryable error while OpenBao is down', async () => {
    const admin = fresh();
    await admin.store.createKey('cold');
    await server.halt({ signal: 'SIGKILL' });
    try {
      const codec = new EncryptionCodec({ namespace: 'cold', keyProvider: fresh().provider });
      await expect(codec.encode([jsonPayload('x')])).rejects.toMatchObject({
        code: ERROR_CODES.keySourceUnavailable,
        retryable: true,
      });
    } finally {
      await server.restart();
    }
    const codec = new EncryptionCodec({ namespace: 'cold', keyProvider: fresh().provider });
    expect(jsonValue((await codec.decode(await codec.encode([jsonPayload('back')])))[0])).toBe('back');
  });
});
