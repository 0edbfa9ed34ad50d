import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createAuthenticatedVaultClient,
  EncryptionCodec,
  ERROR_CODES,
  VaultClient,
  VaultTransitKeyProvider,
  VaultTransitKeys,
  type VaultAuth,
} from '../../codec/index.js';
import { tokenAuth } from '../../codec/keys/auth/token-auth.js';
import { jsonPayload, jsonValue, rootRequester } from '../support/vault-fixtures.js';
import { scope } from '../support/key-scope.js';

const vault = inject('vault');
const root = rootRequester(vault);
const suffix = randomBytes(4).toString('hex');
const approleMount = `approle-${suffix}`;
const transitMount = `transit-auth-${suffix}`;
const policy = `codec-auth-test-${suffix}`;
const dir = mkdtempSync(join(tmpdir(), 'vault-auth-'));
const auths: VaultAuth[] = [];

async function lookupStatus(token: string): Promise<number> {
  const res = await fetch(`${vault.addr}/v1/auth/token/lookup-self`, { headers: { 'x-vault-token': token } });
  await res.body?.cancel();
  return res.status;
}

/** Resolves once `predicate` has been true for `count` events. */
function events<T>(count: number): { record: (value: T) => void; done: Promise<T[]> } {
  const seen: T[] = [];
  let resolve!: (values: T[]) => void;
  const done = new Promise<T[]>((r) => (resolve = r));
  return {
    record: (value) => {
      seen.push(value);
      if (seen.length === count) resolve([...seen]);
    },
    done,
  };
}

async function approleCredentials(tokenTtl: string, tokenMaxTtl: string, role: string) {
  await root('POST', `auth/${approleMount}/role/${role}`, {
    token_ttl: tokenTtl,
    token_max_ttl: tokenMaxTtl,
    token_policies: ['default', policy],
  });
  const roleId = (await root<{ data: { role_id: string } }>('GET', `auth/${approleMount}/role/${role}/role-id`)).data
    .role_id;
  const secretId = (await root<{ data: { secret_id: string } }>('POST', `auth/${approleMount}/role/${role}/secret-id`))
    .data.secret_id;
  const secretFile = join(dir, `${role}-secret-id`);
  writeFileSync(secretFile, `${secretId}\n`, { mode: 0o600 });
  return { roleId, secretFile };
}

beforeAll(async () => {
  await root('POST', `sys/auth/${approleMount}`, { type: 'approle' });
  await root('POST', `sys/mounts/${transitMount}`, { type: 'transit' });
  await root('POST', `sys/policies/acl/${policy}`, {
    policy: [
      `path "${transitMount}/datakey/plaintext/temporal-codec-*" { capabilities = ["update"] }`,
      `path "${transitMount}/decrypt/temporal-codec-*" { capabilities = ["update"] }`,
    ].join('\n'),
  });
  const admin = new VaultTransitKeys({
    client: new VaultClient({ endpoint: vault.addr, token: vault.token }),
    mount: transitMount,
  });
  await admin.createKey('auth-orders');
});
afterAll(() => {
  auths.forEach((a) => a.close());
  rmSync(dir, { recursive: true, force: true });
});

describe('Vault auth against OpenBao', () => {
  it('keeps a 3-second token alive past its TTL by renewing it at 2/3 of the TTL', async () => {
    const create = { ttl: '3s', explicit_max_ttl: '60s', renewable: true, policies: ['default'] };
    const token = (await root<{ auth: { client_token: string } }>('POST', 'auth/token/create', create)).auth
      .client_token;
    const control = (await root<{ auth: { client_token: string } }>('POST', 'auth/token/create', create)).auth
      .client_token;
    const started = Date.now();
    const renewals = events<number>(3);
    const auth = tokenAuth({
      transport: new VaultClient({ endpoint: vault.addr, token: '' }),
      token,
      observer: { renewed: renewals.record },
    });
    auths.push(auth);
    const client = new VaultClient({ endpoint: vault.addr, token: () => auth.token() });
    await client.request('GET', '/auth/token/lookup-self');
    expect(await renewals.done).toEqual([3, 3, 3]);
    // Three renewals at ~2 s intervals: well past the original 3 s TTL, which the unrenewed twin did not survive.
    expect(Date.now() - started).toBeGreaterThan(3000);
    expect(await lookupStatus(control)).toBe(403);
    const self = await client.request<{ data: { id: string; ttl: number } }>('GET', '/auth/token/lookup-self');
    expect(self?.data.id).toBe(token);
  }, 15_000);

  it('logs in with AppRole (secret id from a file), and the token unwraps data keys through Transit', async () => {
    const { roleId, secretFile } = await approleCredentials('1m', '10m', 'worker');
    const { client, auth } = createAuthenticatedVaultClient(
      { endpoint: vault.addr },
      { method: 'approle', roleId: { value: roleId }, secretId: { file: secretFile }, mount: approleMount },
    );
    auths.push(auth);
    const keyProvider = new VaultTransitKeyProvider({ client, mount: transitMount });
    const sealed = await new EncryptionCodec({ namespace: 'auth-orders', keyProvider }).encode([jsonPayload('hi')]);
    const cold = new VaultTransitKeyProvider({ client, mount: transitMount });
    expect(
      jsonValue((await new EncryptionCodec({ namespace: 'auth-orders', keyProvider: cold }).decode(sealed))[0]),
    ).toBe('hi');
    const self = await client.request<{ data: { path: string } }>('GET', '/auth/token/lookup-self');
    expect(self?.data.path).toBe(`auth/${approleMount}/login`);
    await Promise.all([keyProvider.close(), cold.close()]);
  });

  it('logs in again before the AppRole token reaches its max TTL', async () => {
    const { roleId, secretFile } = await approleCredentials('2s', '3s', 'short');
    const logins = events<number>(2);
    const { client, auth } = createAuthenticatedVaultClient(
      { endpoint: vault.addr },
      { method: 'approle', roleId: { value: roleId }, secretId: { file: secretFile }, mount: approleMount },
      { observer: { loggedIn: (_, ttl) => logins.record(ttl) } },
    );
    auths.push(auth);
    const first = await auth.token();
    await logins.done;
    const second = await auth.token();
    expect(second).not.toBe(first);
    expect(await lookupStatus(second)).toBe(200);
    await expect(client.request('GET', '/auth/token/lookup-self')).resolves.toMatchObject({ data: { id: second } });
  }, 15_000);

  it('logs in again when Vault rejects a revoked token (onForbidden), but not for a genuine permission denial', async () => {
    const { roleId, secretFile } = await approleCredentials('1m', '10m', 'revoked');
    const logins: number[] = [];
    const { client, auth } = createAuthenticatedVaultClient(
      { endpoint: vault.addr, retries: 0 },
      { method: 'approle', roleId: { value: roleId }, secretId: { file: secretFile }, mount: approleMount },
      { observer: { loggedIn: (_, ttl) => logins.push(ttl) } },
    );
    auths.push(auth);
    const provider = new VaultTransitKeyProvider({ client, mount: transitMount });
    await provider.encryptionKey(scope('auth-orders'), 1);
    await root('POST', 'auth/token/revoke', { token: await auth.token() });
    provider.invalidate();
    await expect(provider.encryptionKey(scope('auth-orders'), 1)).resolves.toMatchObject({ keyId: 'auth-orders' });
    expect(logins).toHaveLength(2);
    await expect(
      client.request('POST', `/${transitMount}/keys/temporal-codec-auth-orders/rotate`),
    ).rejects.toMatchObject({
      code: ERROR_CODES.keySourceDenied,
    });
    expect(logins).toHaveLength(2);
    await provider.close();
  });
});
