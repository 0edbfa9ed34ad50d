import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EncryptionCodec,
  ERROR_CODES,
  METADATA_KEYS,
  VaultClient,
  VaultTransitKeyProvider,
  VaultTransitKeys,
  type VaultTransitOptions,
} from '../../codec/index.js';
import { startCountingProxy } from '../../harness/counting-proxy.js';
import { jsonPayload, jsonValue } from '../support/vault-fixtures.js';
import { scope } from '../support/key-scope.js';

const vault = inject('vault');
// Transit is not mounted on a dev server; this file mounts its own, so files sharing the server cannot collide.
const mount = `transit-${randomBytes(4).toString('hex')}`;
const providers: VaultTransitKeyProvider[] = [];

async function root<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${vault.addr}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

function client(endpoint = vault.addr): VaultClient {
  return new VaultClient({ endpoint, token: vault.token, retries: 1, backoffMs: 10, timeoutMs: 5000 });
}

const keys = () => new VaultTransitKeys({ client: client(), mount });

function provider(options: Partial<VaultTransitOptions> = {}): VaultTransitKeyProvider {
  const made = new VaultTransitKeyProvider({ client: client(), mount, ...options });
  providers.push(made);
  return made;
}

/** A clock the test moves, so cache ages pass without sleeping. */
function clock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const meta = (payload: Payload | undefined, key: string) => new TextDecoder().decode(payload?.metadata?.[key]);

beforeAll(async () => {
  expect((await root('POST', `sys/mounts/${mount}`, { type: 'transit' })).status).toBe(204);
});
afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
});

describe('Vault Transit envelope provider against OpenBao', () => {
  it('round-trips payloads under a derived, non-exportable aes256-gcm96 key; the wrapped key travels in metadata', async () => {
    await keys().createKey('roundtrip');
    const { body } = await root<{ data: Record<string, unknown> }>('GET', `${mount}/keys/temporal-codec-roundtrip`);
    expect(body.data).toMatchObject({
      type: 'aes256-gcm96',
      derived: true,
      exportable: false,
      allow_plaintext_backup: false,
    });
    const codec = new EncryptionCodec({ namespace: 'roundtrip', keyProvider: provider() });
    const sealed = await codec.encode([jsonPayload({ order: 1 }), jsonPayload('two')]);
    expect(meta(sealed[0], METADATA_KEYS.keyVersion)).toBe('1');
    expect(meta(sealed[0], METADATA_KEYS.wrappedKey)).toMatch(/^vault:v1:/);
    const cold = new EncryptionCodec({ namespace: 'roundtrip', keyProvider: provider() });
    expect((await cold.decode(sealed)).map(jsonValue)).toEqual([{ order: 1 }, 'two']);
  });

  it('makes at most 10,000 / maxPayloadsPerDataKey + 1 datakey requests for 10,000 encodes, in a burst or in batches', async () => {
    await keys().createKey('volume');
    const proxy = await startCountingProxy(vault.addr);
    try {
      const datakeys = () => proxy.count((r) => r.path.startsWith(`/v1/${mount}/datakey/plaintext/`));
      const keyProvider = provider({ client: client(proxy.url), maxPayloadsPerDataKey: 1000 });
      const codec = new EncryptionCodec({ namespace: 'volume', keyProvider });
      const burst = (
        await Promise.all(Array.from({ length: 10_000 }, (_, i) => codec.encode([jsonPayload(i)])))
      ).flat();
      expect(datakeys()).toBeLessThanOrEqual(10_000 / 1000 + 1);
      const perKey = new Map<string, number>();
      for (const p of burst)
        perKey.set(meta(p, METADATA_KEYS.wrappedKey), (perKey.get(meta(p, METADATA_KEYS.wrappedKey)) ?? 0) + 1);
      expect(Math.max(...perKey.values())).toBeLessThanOrEqual(1000);

      proxy.reset();
      const batched = new EncryptionCodec({
        namespace: 'volume',
        keyProvider: provider({ client: client(proxy.url), maxPayloadsPerDataKey: 1000 }),
      });
      for (let i = 0; i < 100; i++)
        await batched.encode(Array.from({ length: 100 }, (_, j) => jsonPayload(i * 100 + j)));
      expect(datakeys()).toBeLessThanOrEqual(10_000 / 1000 + 1);

      // The process that sealed them decodes from memory; a cold one unwraps each data key once, and the decodes
      // started together share one batch decrypt request for all of them.
      proxy.reset();
      expect((await codec.decode(burst.slice(0, 50))).map(jsonValue)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(proxy.count()).toBe(0);
      const cold = new EncryptionCodec({ namespace: 'volume', keyProvider: provider({ client: client(proxy.url) }) });
      await Promise.all(burst.map((p) => cold.decode([p])));
      expect(perKey.size).toBeGreaterThan(1);
      expect(proxy.count((r) => r.path.startsWith(`/v1/${mount}/decrypt/`))).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('after a rotation, old payloads still decode and new ones carry the new version', async () => {
    await keys().createKey('rotating');
    const time = clock();
    const codec = new EncryptionCodec({
      namespace: 'rotating',
      keyProvider: provider({ dataKeyMaxAgeMs: 60_000, now: time.now }),
    });
    const [before] = await codec.encode([jsonPayload('before')]);
    expect((await keys().rotateKey('rotating')).version).toBe(2);
    time.advance(60_000);
    const [after] = await codec.encode([jsonPayload('after')]);
    expect([meta(before, METADATA_KEYS.keyVersion), meta(after, METADATA_KEYS.keyVersion)]).toEqual(['1', '2']);
    expect(meta(after, METADATA_KEYS.wrappedKey)).toMatch(/^vault:v2:/);
    const cold = new EncryptionCodec({ namespace: 'rotating', keyProvider: provider() });
    expect((await cold.decode([before!, after!])).map(jsonValue)).toEqual(['before', 'after']);
  });

  it('fails payloads below a raised min_decryption_version with ERR_KEY_VERSION_DESTROYED; others still decode', async () => {
    const admin = keys();
    await admin.createKey('min-decrypt');
    const time = clock();
    const codec = new EncryptionCodec({ namespace: 'min-decrypt', keyProvider: provider({ now: time.now }) });
    const sealed: Payload[] = [];
    for (const label of ['v1', 'v2', 'v3']) {
      sealed.push(...(await codec.encode([jsonPayload(label)])));
      await admin.rotateKey('min-decrypt');
      time.advance(60_000);
    }
    expect(sealed.map((p) => meta(p, METADATA_KEYS.keyVersion))).toEqual(['1', '2', '3']);
    expect(
      (await root('POST', `${mount}/keys/temporal-codec-min-decrypt/config`, { min_decryption_version: 3 })).status,
    ).toBe(200);
    const settled = await new EncryptionCodec({ namespace: 'min-decrypt', keyProvider: provider() }).decodeSettled(
      sealed,
    );
    expect(settled.map((r) => (r.ok ? jsonValue(r.payload) : r.error.code))).toEqual([
      ERROR_CODES.keyVersionDestroyed,
      ERROR_CODES.keyVersionDestroyed,
      'v3',
    ]);
  });

  it('destroys a version for good: trimmed, so lowering min_decryption_version cannot bring it back', async () => {
    const admin = keys();
    await admin.createKey('shred');
    const time = clock();
    const codec = new EncryptionCodec({ namespace: 'shred', keyProvider: provider({ now: time.now }) });
    const [v1] = await codec.encode([jsonPayload('one')]);
    await admin.rotateKey('shred');
    time.advance(60_000);
    const [v2] = await codec.encode([jsonPayload('two')]);
    expect(await admin.setVersionState('shred', 1, 'destroyed')).toMatchObject({ version: 1, state: 'destroyed' });
    expect((await admin.describeKey('shred')).state).toMatchObject({ minDecryptionVersion: 2, minAvailableVersion: 2 });
    const lowered = await root('POST', `${mount}/keys/temporal-codec-shred/config`, { min_decryption_version: 1 });
    expect(lowered.status).toBe(400);
    const settled = await new EncryptionCodec({ namespace: 'shred', keyProvider: provider() }).decodeSettled([
      v1!,
      v2!,
    ]);
    expect(settled.map((r) => (r.ok ? jsonValue(r.payload) : r.error.code))).toEqual([
      ERROR_CODES.keyVersionDestroyed,
      'two',
    ]);
  });

  it('reaches a running provider within its cache max age: destruction takes effect once the cached key ages out', async () => {
    const admin = keys();
    await admin.createKey('propagate');
    const [v1] = await new EncryptionCodec({ namespace: 'propagate', keyProvider: provider() }).encode([
      jsonPayload('x'),
    ]);
    await admin.rotateKey('propagate');
    const time = clock();
    const running = new EncryptionCodec({
      namespace: 'propagate',
      keyProvider: provider({ unwrappedKeyMaxAgeMs: 300_000, now: time.now }),
      decryptKeyMaxAgeMs: 0,
    });
    expect(jsonValue((await running.decode([v1!]))[0])).toBe('x');
    await admin.setVersionState('propagate', 1, 'destroyed');
    time.advance(299_000);
    expect(jsonValue((await running.decode([v1!]))[0])).toBe('x');
    time.advance(1_000);
    await expect(running.decode([v1!])).rejects.toMatchObject({ code: ERROR_CODES.keyVersionDestroyed });
  });

  it('binds each wrapped data key to its namespace through the derivation context', async () => {
    await keys().createKey('shared');
    const shared = provider({ keyIdFor: () => 'shared' });
    const material = await shared.encryptionKey(scope('ns-a', 'shared'), 1);
    const ref = { keyId: 'shared', version: material.version, wrappedKey: material.wrappedKey! };
    expect(
      (await provider({ keyIdFor: () => 'shared' }).decryptionKey(scope('ns-a', 'shared'), ref)).key.equals(
        material.key,
      ),
    ).toBe(true);
    await expect(
      provider({ keyIdFor: () => 'shared' }).decryptionKey(scope('ns-b', 'shared'), ref),
    ).rejects.toMatchObject({
      code: ERROR_CODES.decryptionFailed,
    });
  });

  it('reports a namespace without a Transit key as ERR_UNKNOWN_KEY, and answers health checks', async () => {
    const codec = new EncryptionCodec({ namespace: 'no-such-key', keyProvider: provider() });
    await expect(codec.encode([jsonPayload('x')])).rejects.toMatchObject({ code: ERROR_CODES.unknownKey });
    await expect(provider().checkHealth()).resolves.toBeUndefined();
  });
});

describe('Vault Transit key lifecycle against OpenBao', () => {
  it('deactivates from the oldest version upward; Vault then refuses those versions for encryption', async () => {
    const admin = keys();
    await admin.createKey('order');
    await admin.rotateKey('order');
    await admin.rotateKey('order');
    const refusal = { code: ERROR_CODES.invalidArgument, context: { field: 'version' } };
    await expect(admin.setVersionState('order', 2, 'inactive')).rejects.toMatchObject(refusal);
    await expect(admin.setVersionState('order', 3, 'inactive')).rejects.toMatchObject(refusal);
    await expect(admin.setVersionState('order', 2, 'destroyed')).rejects.toMatchObject(refusal);
    await admin.setVersionState('order', 1, 'inactive');
    await admin.setVersionState('order', 2, 'inactive');
    expect((await admin.listVersions('order')).map((v) => v.state)).toEqual(['inactive', 'inactive', 'active']);
    const pinned = await root('POST', `${mount}/datakey/plaintext/temporal-codec-order`, {
      context: Buffer.from('order').toString('base64'),
      key_version: 1,
    });
    expect(pinned.status).toBe(400);
    await expect(admin.setVersionState('order', 1, 'active')).rejects.toMatchObject(refusal);
    await admin.setVersionState('order', 2, 'active');
    expect((await admin.listVersions('order')).map((v) => v.state)).toEqual(['inactive', 'active', 'active']);
  });

  it('creates keys once, lists them under the prefix, and sets Vault auto-rotation (at least one hour)', async () => {
    const admin = keys();
    await admin.createKey('listed', { autoRotatePeriodMs: 30 * 86_400_000 });
    await expect(admin.createKey('listed')).rejects.toMatchObject({ code: ERROR_CODES.invalidArgument });
    expect((await admin.describeKey('listed')).state.autoRotatePeriodSeconds).toBe(30 * 86_400);
    await expect(admin.setAutoRotatePeriod('listed', 60_000)).rejects.toMatchObject({
      code: ERROR_CODES.invalidArgument,
    });
    await root('POST', `${mount}/keys/not-ours`, { type: 'aes256-gcm96' });
    const listed = await admin.listKeys();
    expect(listed).toContain('listed');
    expect(listed).not.toContain('not-ours');
    await expect(admin.rotateKey('missing')).rejects.toMatchObject({ code: ERROR_CODES.unknownKey });
    await expect(admin.describeKey('missing')).rejects.toMatchObject({ code: ERROR_CODES.unknownKey });
  });
});
