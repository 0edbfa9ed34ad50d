import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CachingKeyProvider,
  EncryptionCodec,
  ERROR_CODES,
  LocalKeyring,
  METADATA_KEYS,
  VaultClient,
  VaultKvStore,
  VaultTransitKeyProvider,
  VaultTransitKeys,
  type KeyProvider,
} from '../../codec/index.js';
import { buildGoCli, goCodec, goEnv, resolveGo, run, type GoKeySource } from '../support/go-port.js';

// The Go port (ports/go) is built and tested here against the shared OpenBao, and checked against this library in
// both directions: what TypeScript seals, Go opens, and the other way round, for every key source.

const vault = inject('vault');
const go = resolveGo();
let cli: string;
const providers: KeyProvider[] = [];

const SIZES = [0, 1, 255, 256, 1024, 4096, 65_536, 1024 * 1024];

function sizedPayloads(): Payload[] {
  return SIZES.map((size) => ({
    metadata: { encoding: Buffer.from('binary/plain'), 'x-size': Buffer.from(String(size)) },
    data: randomBytes(size),
  }));
}

function expectSamePayloads(actual: readonly Payload[], expected: readonly Payload[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((payload, i) => {
    const want = expected[i]!;
    expect(Buffer.from(payload.data ?? []).equals(Buffer.from(want.data ?? []))).toBe(true);
    const keys = Object.keys(want.metadata ?? {}).sort();
    expect(Object.keys(payload.metadata ?? {}).sort()).toEqual(keys);
    for (const key of keys) expect(Buffer.from(payload.metadata![key]!)).toEqual(Buffer.from(want.metadata![key]!));
  });
}

function opened(results: Awaited<ReturnType<typeof goCodec>>): Payload[] {
  return results.map((r) => {
    if (!r.ok) throw new Error(`the Go port refused a payload: ${r.code}`);
    return r.payload;
  });
}

function client(): VaultClient {
  return new VaultClient({ endpoint: vault.addr, token: vault.token, retries: 1, backoffMs: 10, timeoutMs: 5000 });
}

function codecFor(namespace: string, keyProvider: KeyProvider): EncryptionCodec {
  providers.push(keyProvider);
  return new EncryptionCodec({ namespace, keyProvider });
}

/** Both directions for one key source: TypeScript seals and Go opens, Go seals and TypeScript opens. */
async function crossCheck(ts: EncryptionCodec, source: GoKeySource): Promise<Payload[]> {
  const originals = sizedPayloads();
  const fromTs = await ts.encode(originals);
  expectSamePayloads(
    opened(await goCodec(cli, 'open', { namespace: ts.namespace, source, payloads: fromTs, vault })),
    originals,
  );
  const fromGo = opened(await goCodec(cli, 'seal', { namespace: ts.namespace, source, payloads: originals, vault }));
  expect(fromGo.map((p) => Buffer.from(p.metadata![METADATA_KEYS.encoding]!).toString())).toEqual(
    SIZES.map(() => 'binary/encrypted'),
  );
  expectSamePayloads(await ts.decode(fromGo), originals);
  return fromGo;
}

beforeAll(async () => {
  cli = await buildGoCli(go);
}, 600_000);

afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
});

describe('the Go port', () => {
  it('is gofmt-clean and go vet-clean', async () => {
    const gofmt = await run(join(dirname(go), 'gofmt'), ['-l', '.']);
    expect(gofmt).toMatchObject({ code: 0, stdout: '' });
    const vet = await run(go, ['vet', './...']);
    expect(vet.stderr).toBe('');
    expect(vet.code).toBe(0);
  }, 600_000);

  it('passes its own tests, published vectors and OpenBao tests included, with none skipped', async () => {
    const result = await run(go, ['test', '-count=1', '-json', './...'], { env: goEnv(vault) });
    const events = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { Action: string; Test?: string; Package: string });
    const outcome = (action: string) =>
      events.filter((e) => e.Action === action && e.Test !== undefined).map((e) => e.Test);
    expect(outcome('fail'), result.stdout.slice(-4000)).toEqual([]);
    expect(outcome('skip')).toEqual([]);
    expect(result.code).toBe(0);
    const passed = outcome('pass');
    for (const name of [
      'TestPublishedVectors',
      'TestRoundTripsPayloadsFromEmptyToOneMebibyte',
      'TestVaultKVKeysInTheTypeScriptLayout',
      'TestVaultKVStaleKeysAndSingleFlightThroughAProxy',
      'TestTransitEnvelopeRoundTripRotationAndDestruction',
      'TestConcurrentMissesShareOneRequest',
    ]) {
      expect(passed).toContain(name);
    }
  }, 600_000);
});

describe('payloads cross between the TypeScript library and the Go port', () => {
  it('in Vault KV mode, 0 B to 1 MiB, both ways, and a rotation is seen by both', async () => {
    const pathPrefix = `test-port-go-${randomBytes(4).toString('hex')}/`;
    const store = new VaultKvStore({ client: client(), pathPrefix });
    await store.createKey('orders');
    await store.createKey('payments');
    const ts = codecFor('orders', new CachingKeyProvider(store, { latestTtlMs: 0 }));
    const source: GoKeySource = { kind: 'vault-kv', mount: 'secret', pathPrefix };
    const fromGo = await crossCheck(ts, source);
    expect(Buffer.from(fromGo[0]!.metadata![METADATA_KEYS.keyVersion]!).toString()).toBe('1');

    await store.rotateKey('orders');
    const [rotatedTs] = await ts.encode([{ data: Buffer.from('after rotation') }]);
    const [rotatedGo] = opened(
      await goCodec(cli, 'seal', { namespace: 'orders', source, payloads: [{ data: Buffer.from('x') }], vault }),
    );
    expect(Buffer.from(rotatedTs!.metadata![METADATA_KEYS.keyVersion]!).toString()).toBe('2');
    expect(Buffer.from(rotatedGo!.metadata![METADATA_KEYS.keyVersion]!).toString()).toBe('2');
    expect(
      opened(await goCodec(cli, 'open', { namespace: 'orders', source, payloads: [rotatedTs!], vault })),
    ).toHaveLength(1);
    expect(await ts.decode([rotatedGo!])).toHaveLength(1);
  });

  it('in Vault KV mode for a namespace that needs escaping in a Vault path', async () => {
    const pathPrefix = `test-port-go-${randomBytes(4).toString('hex')}/`;
    const namespace = 'zahlungen ä+?%#';
    const store = new VaultKvStore({ client: client(), pathPrefix });
    await store.createKey(namespace);
    const ts = codecFor(namespace, new CachingKeyProvider(store));
    const source: GoKeySource = { kind: 'vault-kv', mount: 'secret', pathPrefix };
    const original: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') };
    const fromTs = await ts.encode([original]);
    expectSamePayloads(opened(await goCodec(cli, 'open', { namespace, source, payloads: fromTs, vault })), [original]);
    const fromGo = opened(await goCodec(cli, 'seal', { namespace, source, payloads: [original], vault }));
    expectSamePayloads(await ts.decode(fromGo), [original]);
  });

  it('in Vault Transit envelope mode, 0 B to 1 MiB, both ways, with the wrapped key in the metadata', async () => {
    const mount = `transit-port-go-${randomBytes(4).toString('hex')}`;
    const root = await fetch(`${vault.addr}/v1/sys/mounts/${mount}`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'transit' }),
    });
    expect(root.status).toBe(204);
    await new VaultTransitKeys({ client: client(), mount }).createKey('orders');
    const ts = codecFor('orders', new VaultTransitKeyProvider({ client: client(), mount }));
    const fromGo = await crossCheck(ts, { kind: 'vault-transit', mount });
    expect(Buffer.from(fromGo[0]!.metadata![METADATA_KEYS.wrappedKey]!).toString()).toMatch(/^vault:v1:/);
  });

  it('with the local keyring file, both ways', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'port-go-keyring-')), 'keyring.json');
    const ts = codecFor('orders', new CachingKeyProvider(new LocalKeyring({ path, warn: () => undefined })));
    await crossCheck(ts, { kind: 'local', path });
  });

  it('refuses the same forgeries with the same codes as the TypeScript library', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'port-go-keyring-')), 'keyring.json');
    const ts = codecFor('orders', new CachingKeyProvider(new LocalKeyring({ path, warn: () => undefined })));
    const source: GoKeySource = { kind: 'local', path };
    const [sealed] = await ts.encode([{ data: Buffer.from('x') }]);
    const tampered = { metadata: sealed!.metadata, data: Buffer.from(sealed!.data!).fill(1, 80, 81) };
    const truncated = { metadata: sealed!.metadata, data: sealed!.data!.subarray(0, 91) };
    const otherFormat = {
      metadata: { ...sealed!.metadata, [METADATA_KEYS.format]: Buffer.from('tvc9') },
      data: sealed!.data,
    };
    const results = await goCodec(cli, 'open', {
      namespace: 'orders',
      source,
      payloads: [tampered, truncated, otherFormat],
      vault,
    });
    expect(results).toEqual([
      { ok: false, code: ERROR_CODES.decryptionFailed },
      { ok: false, code: ERROR_CODES.truncated },
      { ok: false, code: ERROR_CODES.unsupportedFormat },
    ]);
    const elsewhere = await goCodec(cli, 'open', { namespace: 'payments', source, payloads: [sealed!], vault });
    expect(elsewhere).toEqual([{ ok: false, code: ERROR_CODES.namespaceMismatch }]);
  });

  it('round-trips arbitrary payloads both ways (property)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'port-go-keyring-')), 'keyring.json');
    const ts = codecFor('orders', new CachingKeyProvider(new LocalKeyring({ path, warn: () => undefined })));
    const payload = fc.record({
      metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 64 }), {
        maxKeys: 4,
      }),
      data: fc.uint8Array({ maxLength: 8192 }),
    });
    const originals: Payload[] = fc.sample(payload, { numRuns: 60, seed: 17 });
    const source: GoKeySource = { kind: 'local', path };
    expectSamePayloads(
      opened(await goCodec(cli, 'open', { namespace: 'orders', source, payloads: await ts.encode(originals), vault })),
      originals,
    );
    expectSamePayloads(
      await ts.decode(opened(await goCodec(cli, 'seal', { namespace: 'orders', source, payloads: originals, vault }))),
      originals,
    );
  });
});
