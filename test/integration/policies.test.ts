import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../admin/run-cli.js';
import {
  CachingKeyProvider,
  EncryptionCodec,
  ERROR_CODES,
  VaultClient,
  VaultKvStore,
  VaultTransitKeyProvider,
  VaultTransitKeys,
  type KeyProvider,
} from '../../codec/index.js';
import { OpenBaoServer } from '../../harness/openbao-server.js';
import { projectRoot } from '../../harness/tools.js';
import { jsonPayload, jsonValue } from '../support/vault-fixtures.js';

/**
 * The shipped policy files, verbatim, against a real OpenBao. They name the default mounts (secret/, transit/), so
 * this file runs its own dev server rather than sharing one where other files own those paths.
 */
const ROLES = ['worker', 'codec-server-decode', 'codec-server', 'key-admin'] as const;
type Role = (typeof ROLES)[number];

let server: OpenBaoServer;
const tokens = {} as Record<Role, string>;
const ctx = Buffer.from('orders').toString('base64');
let wrappedKey = '';
const sealed = {} as Record<'kv' | 'transit', Payload[]>;
const providers: KeyProvider[] = [];

async function call(token: string, method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${server.addr}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await res.body?.cancel();
  return res.status;
}

function vaultClient(token: string): VaultClient {
  return new VaultClient({ endpoint: server.addr, token, retries: 0 });
}
function kv(token: string): KeyProvider {
  const provider = new CachingKeyProvider(new VaultKvStore({ client: vaultClient(token) }));
  providers.push(provider);
  return provider;
}
function transit(token: string): KeyProvider {
  const provider = new VaultTransitKeyProvider({ client: vaultClient(token) });
  providers.push(provider);
  return provider;
}

/** Every operation the matrix probes, by name: an HTTP call made with the role's token. */
const OPERATIONS: Record<string, (token: string) => Promise<number>> = {
  'kv: read newest version': (t) => call(t, 'GET', 'secret/data/temporal-codec/orders'),
  'kv: read exact version': (t) => call(t, 'GET', 'secret/data/temporal-codec/orders?version=1'),
  'kv: write a version': (t) =>
    call(t, 'POST', 'secret/data/temporal-codec/scratch', { data: { key: randomBytes(32).toString('base64') } }),
  'kv: read metadata': (t) => call(t, 'GET', 'secret/metadata/temporal-codec/orders'),
  'kv: write metadata': (t) => call(t, 'POST', 'secret/metadata/temporal-codec/scratch', { max_versions: 100000 }),
  'kv: list keys': (t) => call(t, 'GET', 'secret/metadata/temporal-codec/?list=true'),
  'kv: destroy a version': (t) => call(t, 'POST', 'secret/destroy/temporal-codec/scratch', { versions: [999] }),
  'kv: soft-delete': (t) => call(t, 'DELETE', 'secret/data/temporal-codec/orders'),
  'kv: delete all versions': (t) => call(t, 'DELETE', 'secret/metadata/temporal-codec/orders'),
  'kv: read another app': (t) => call(t, 'GET', 'secret/data/other-app/config'),
  'transit: new data key': (t) => call(t, 'POST', 'transit/datakey/plaintext/temporal-codec-orders', { context: ctx }),
  'transit: unwrap a data key': (t) =>
    call(t, 'POST', 'transit/decrypt/temporal-codec-orders', { ciphertext: wrappedKey, context: ctx }),
  'transit: encrypt data': (t) =>
    call(t, 'POST', 'transit/encrypt/temporal-codec-orders', { plaintext: 'eA==', context: ctx }),
  'transit: read key config': (t) => call(t, 'GET', 'transit/keys/temporal-codec-orders'),
  'transit: list keys': (t) => call(t, 'LIST', 'transit/keys'),
  'transit: create a key': (t) =>
    call(t, 'POST', `transit/keys/temporal-codec-new-${randomBytes(3).toString('hex')}`, { derived: true }),
  'transit: rotate': (t) => call(t, 'POST', 'transit/keys/temporal-codec-scratch/rotate'),
  'transit: configure versions': (t) =>
    call(t, 'POST', 'transit/keys/temporal-codec-scratch/config', { min_encryption_version: 1 }),
  'transit: trim': (t) => call(t, 'POST', 'transit/keys/temporal-codec-scratch/trim', { min_available_version: 1 }),
  'transit: make exportable': (t) => call(t, 'POST', 'transit/keys/temporal-codec-orders/config', { exportable: true }),
  'transit: allow deletion': (t) =>
    call(t, 'POST', 'transit/keys/temporal-codec-orders/config', { deletion_allowed: true }),
  'transit: export': (t) => call(t, 'GET', 'transit/export/encryption-key/temporal-codec-orders'),
  'transit: backup': (t) => call(t, 'GET', 'transit/backup/temporal-codec-orders'),
  'transit: import key material': (t) =>
    call(t, 'POST', 'transit/keys/temporal-codec-imported/import', { ciphertext: 'eA==' }),
  'transit: delete key': (t) => call(t, 'DELETE', 'transit/keys/temporal-codec-orders'),
  'transit: use another app key': (t) => call(t, 'POST', 'transit/datakey/plaintext/payments', {}),
  'token: lookup-self': (t) => call(t, 'GET', 'auth/token/lookup-self'),
  'token: renew-self': (t) => call(t, 'POST', 'auth/token/renew-self', {}),
  'sys: write a policy': (t) =>
    call(t, 'POST', 'sys/policies/acl/escalate', { policy: 'path "*" { capabilities = ["sudo"] }' }),
};

/** What each role may do; every other operation in {@link OPERATIONS} must answer 403. */
const ALLOWED: Record<Role, readonly string[]> = {
  worker: ['kv: read newest version', 'kv: read exact version', 'transit: new data key', 'transit: unwrap a data key'],
  // KV: decoding needs the key bytes, which also encrypt; only Transit separates the two.
  'codec-server-decode': ['kv: read newest version', 'kv: read exact version', 'transit: unwrap a data key'],
  'codec-server': [
    'kv: read newest version',
    'kv: read exact version',
    'transit: new data key',
    'transit: unwrap a data key',
  ],
  'key-admin': [
    'kv: write a version',
    'kv: read metadata',
    'kv: write metadata',
    'kv: list keys',
    'kv: destroy a version',
    'transit: read key config',
    'transit: list keys',
    'transit: create a key',
    'transit: rotate',
    'transit: configure versions',
    'transit: trim',
  ],
};
const EVERYONE = ['token: lookup-self', 'token: renew-self'];

beforeAll(async () => {
  server = await OpenBaoServer.startDev();
  await server.enableSecretsEngine('transit', 'transit');
  for (const role of ROLES) {
    const policy = readFileSync(join(projectRoot, 'policies', `${role}.hcl`), 'utf8');
    await server.request('PUT', `sys/policies/acl/${role}`, { policy });
    // No default policy: each file alone must be enough for its role.
    const created = await server.request<{ auth: { client_token: string } }>('POST', 'auth/token/create', {
      policies: [role],
      no_default_policy: true,
      ttl: '1h',
    });
    tokens[role] = created.auth.client_token;
  }
  const root = new VaultClient({ endpoint: server.addr, token: server.token });
  const kvStore = new VaultKvStore({ client: root });
  await kvStore.createKey('orders');
  await kvStore.createKey('scratch');
  await server.request('POST', 'secret/data/other-app/config', { data: { password: 'x' } });
  const transitKeys = new VaultTransitKeys({ client: root });
  await transitKeys.createKey('orders');
  await transitKeys.createKey('scratch');
  await transitKeys.rotateKey('scratch');
  await server.request('POST', 'transit/keys/payments', {});
  const dataKey = await server.request<{ data: { ciphertext: string } }>(
    'POST',
    'transit/datakey/plaintext/temporal-codec-orders',
    {
      context: ctx,
    },
  );
  wrappedKey = dataKey.data.ciphertext;
  sealed.kv = await new EncryptionCodec({ namespace: 'orders', keyProvider: kv(server.token) }).encode([
    jsonPayload('kv'),
  ]);
  sealed.transit = await new EncryptionCodec({ namespace: 'orders', keyProvider: transit(server.token) }).encode([
    jsonPayload('transit'),
  ]);
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
  await server?.stop();
});

describe.each(ROLES)('policies/%s.hcl', (role) => {
  it('allows exactly its role: every other probed operation is denied (403)', async () => {
    const outcome: Record<string, 'allowed' | 'denied'> = {};
    const expected: Record<string, 'allowed' | 'denied'> = {};
    for (const [name, operation] of Object.entries(OPERATIONS)) {
      const status = await operation(tokens[role]);
      outcome[name] = status === 403 ? 'denied' : 'allowed';
      expected[name] = [...ALLOWED[role], ...EVERYONE].includes(name) ? 'allowed' : 'denied';
      if (outcome[name] === 'allowed') expect(status, `${name} -> ${status}`).toBeLessThan(500);
    }
    expect(outcome).toEqual(expected);
  });
});

describe('the shipped policies are enough for their roles', () => {
  it('worker and codec-server: encode and decode in both modes', async () => {
    for (const role of ['worker', 'codec-server'] as const) {
      for (const [mode, make] of [
        ['kv', kv],
        ['transit', transit],
      ] as const) {
        const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: make(tokens[role]) });
        expect(jsonValue((await codec.decode(await codec.encode([jsonPayload(role)])))[0]), `${role} ${mode}`).toBe(
          role,
        );
        expect(jsonValue((await codec.decode(sealed[mode]))[0])).toBe(mode);
      }
    }
  });

  it('worker, codec-server and codec-server-decode: the readiness check passes in both modes', async () => {
    for (const role of ['worker', 'codec-server', 'codec-server-decode'] as const) {
      for (const [mode, make] of [
        ['kv', kv],
        ['transit', transit],
      ] as const) {
        await expect(make(tokens[role]).checkHealth(), `${role} ${mode}`).resolves.toBeUndefined();
      }
    }
  });

  it('codec-server-decode: decodes in both modes; cannot encode in Transit mode; in KV mode it can (documented)', async () => {
    const token = tokens['codec-server-decode'];
    const transitCodec = new EncryptionCodec({ namespace: 'orders', keyProvider: transit(token) });
    expect(jsonValue((await transitCodec.decode(sealed.transit))[0])).toBe('transit');
    await expect(transitCodec.encode([jsonPayload('forged')])).rejects.toMatchObject({
      code: ERROR_CODES.keySourceDenied,
    });
    const kvCodec = new EncryptionCodec({ namespace: 'orders', keyProvider: kv(token) });
    expect(jsonValue((await kvCodec.decode(sealed.kv))[0])).toBe('kv');
    // The weaker KV boundary, asserted so that a change in it is noticed: reading a version is enough to encrypt.
    await expect(kvCodec.encode([jsonPayload('kv-encode')])).resolves.toHaveLength(1);
  });

  it('key-admin: runs the CLI lifecycle in both modes, and cannot read key material or decode', async () => {
    const env = { VAULT_ADDR: server.addr, VAULT_TOKEN: tokens['key-admin'] };
    const sink = { write: () => true };
    const run = (args: string[]) => runCli(args, { env, stdout: sink, stderr: sink });
    for (const source of ['vault-kv', 'vault-transit']) {
      const ns = `admin-${source}`;
      const s = ['--source', source];
      expect(await run(['keys', 'create', '-n', ns, ...s])).toBe(0);
      expect(await run(['keys', 'rotate', '-n', ns, ...s])).toBe(0);
      expect(await run(['keys', 'rotate', '-n', ns, ...s])).toBe(0);
      expect(await run(['keys', 'deactivate', '-n', ns, '--version', '1', ...s])).toBe(0);
      expect(await run(['keys', 'activate', '-n', ns, '--version', '1', ...s])).toBe(0);
      expect(await run(['keys', 'destroy', '-n', ns, '--version', '1', '--yes', ...s])).toBe(0);
      expect(await run(['keys', 'list', ...s])).toBe(0);
      expect(await run(['keys', 'describe', '-n', ns, ...s])).toBe(0);
      expect(await run(['keys', 'rotate-if-older', '--all', '--max-age', '30d', ...s])).toBe(0);
    }
    for (const [mode, make] of [
      ['kv', kv],
      ['transit', transit],
    ] as const) {
      const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: make(tokens['key-admin']) });
      await expect(codec.decode(sealed[mode])).rejects.toMatchObject({ code: ERROR_CODES.keySourceDenied });
    }
  });
});
