import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VaultClient, VaultTransitKeys } from '../../codec/index.js';
import {
  createServerDeps,
  loadConfig,
  startServer,
  type RunningServer,
  type ServerDeps,
} from '../../codec-server/index.js';
import { jsonPayloadJson, metadataText, valueOfJsonPayload } from '../../harness/codec-server-harness.js';
import { rootRequester } from '../support/vault-fixtures.js';

const vault = inject('vault');
const root = rootRequester(vault);
const suffix = randomBytes(4).toString('hex');
// Transit and AppRole are not mounted on a dev server; this file mounts its own, so files sharing it cannot collide.
const transitMount = `transit-cs-${suffix}`;
const approleMount = `approle-cs-${suffix}`;
const policy = `codec-server-transit-${suffix}`;
const dir = mkdtempSync(join(tmpdir(), 'codec-server-transit-'));
const silent = { write: () => undefined };
const running: RunningServer[] = [];
let roleId = '';
let secretId = '';
let secretIdFile = '';

interface Payloads {
  payloads: Array<{ metadata?: Record<string, string>; data?: string }>;
}

/** A transit-mode server on a free port, built exactly as `main.ts` builds it. */
async function serve(env: Record<string, string>, argv: string[] = []): Promise<RunningServer & { deps: ServerDeps }> {
  const config = loadConfig({ VAULT_ADDR: vault.addr, ...env }, [
    '--port',
    '0',
    '--key-source',
    'vault-transit',
    '--vault-transit-mount',
    transitMount,
    ...argv,
  ]);
  const deps = await createServerDeps(config, { logDestination: silent });
  const server = await startServer({ deps });
  running.push(server);
  return { ...server, deps };
}

async function post(url: string, body: unknown, namespace = 'default'): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'X-Namespace': namespace },
  });
}

async function encode(server: RunningServer, values: unknown[], namespace = 'default'): Promise<Payloads> {
  const res = await post(`${server.url}/encode`, { payloads: values.map(jsonPayloadJson) }, namespace);
  expect(res.status).toBe(200);
  return (await res.json()) as Payloads;
}

async function decode(server: RunningServer, sealed: Payloads, namespace = 'default'): Promise<unknown[]> {
  const res = await post(`${server.url}/decode`, sealed, namespace);
  expect(res.status).toBe(200);
  expect(res.headers.get('x-codec-decode-errors')).toBeNull();
  return ((await res.json()) as Payloads).payloads.map(valueOfJsonPayload);
}

const appRoleArgs = () => ['--vault-auth', 'approle', '--vault-auth-mount', approleMount];

beforeAll(async () => {
  await root('POST', `sys/mounts/${transitMount}`, { type: 'transit' });
  // The server never creates Transit keys: an administrator does, as here.
  const keys = new VaultTransitKeys({
    client: new VaultClient({ endpoint: vault.addr, token: vault.token }),
    mount: transitMount,
  });
  await keys.createKey('default');
  await keys.createKey('orders');

  // What policies/worker.hcl grants in Transit mode, on this file's mount.
  await root('POST', `sys/policies/acl/${policy}`, {
    policy: [
      `path "${transitMount}/datakey/plaintext/temporal-codec-*" { capabilities = ["update"] }`,
      `path "${transitMount}/decrypt/temporal-codec-*" { capabilities = ["update"] }`,
    ].join('\n'),
  });
  await root('POST', `sys/auth/${approleMount}`, { type: 'approle' });
  await root('POST', `auth/${approleMount}/role/codec-server`, { token_ttl: '1h', token_policies: [policy] });
  roleId = (await root<{ data: { role_id: string } }>('GET', `auth/${approleMount}/role/codec-server/role-id`)).data
    .role_id;
  secretId = (await root<{ data: { secret_id: string } }>('POST', `auth/${approleMount}/role/codec-server/secret-id`))
    .data.secret_id;
  secretIdFile = join(dir, 'secret-id');
  writeFileSync(secretIdFile, `${secretId}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await Promise.all(running.map((server) => server.shutdown(1000)));
  rmSync(dir, { recursive: true, force: true });
});

describe('codec server on Vault Transit (OpenBao)', () => {
  it('round-trips over a listening socket; the wrapped data key travels in the metadata; a cold server decodes', async () => {
    const server = await serve({ VAULT_TOKEN: vault.token });
    expect(server.deps.keySourceDescription).toBe(
      `vault-transit ${vault.addr}/v1/${transitMount}/keys/temporal-codec-<namespace> (auth token)`,
    );
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const sealed = await encode(server, ['from transit', 42]);
    for (const payload of sealed.payloads) {
      expect(metadataText(payload, 'encryption-key-id')).toBe('default');
      expect(metadataText(payload, 'encryption-key-version')).toBe('1');
      expect(metadataText(payload, 'encryption-wrapped-key')).toMatch(/^vault:v1:/);
    }
    // A second server with a cold cache proves the data key is unwrapped by Transit, not found in memory.
    const other = await serve({ VAULT_TOKEN: vault.token });
    expect(await decode(other, sealed)).toEqual(['from transit', 42]);
  });

  it('refuses a payload moved to another namespace (Transit derives per namespace)', async () => {
    const server = await serve({ VAULT_TOKEN: vault.token });
    const sealed = await encode(server, ['o'], 'orders');
    const moved = await post(`${server.url}/decode`, sealed, 'default');
    expect(moved.status).toBe(200);
    expect(JSON.parse(moved.headers.get('x-codec-decode-errors') ?? '[]')).toEqual([
      { index: 0, code: 'ERR_NAMESPACE_MISMATCH' },
    ]);
  });

  it('answers 400 ERR_UNKNOWN_KEY when encoding for a namespace whose Transit key was never created', async () => {
    const server = await serve({ VAULT_TOKEN: vault.token });
    const res = await post(`${server.url}/encode`, { payloads: [jsonPayloadJson(1)] }, 'no-key-here');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_UNKNOWN_KEY');
  });

  it('logs in with AppRole (role id from VAULT_ROLE_ID, secret id from a file) and round-trips', async () => {
    const server = await serve({ VAULT_ROLE_ID: roleId }, [...appRoleArgs(), '--vault-secret-id-file', secretIdFile]);
    expect(server.deps.keySourceDescription).toMatch(/ \(auth approle\)$/);
    const sealed = await encode(server, [{ order: 7 }]);
    expect(metadataText(sealed.payloads[0], 'encryption-wrapped-key')).toMatch(/^vault:v1:/);
    expect(await decode(server, sealed)).toEqual([{ order: 7 }]);
    // Another AppRole login (secret id from VAULT_SECRET_ID this time), cold cache: decrypt is allowed by the policy.
    const roleIdFile = join(dir, 'role-id');
    writeFileSync(roleIdFile, roleId, { mode: 0o600 });
    const other = await serve({ VAULT_SECRET_ID: secretId }, [...appRoleArgs(), '--vault-role-id-file', roleIdFile]);
    expect(await decode(other, sealed)).toEqual([{ order: 7 }]);
  });

  it('answers 500 ERR_KEY_SOURCE_DENIED when the AppRole login is refused (a wrong secret id)', async () => {
    const server = await serve({ VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: 'not-the-secret-id' }, appRoleArgs());
    const res = await post(`${server.url}/encode`, { payloads: [jsonPayloadJson(1)] });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_KEY_SOURCE_DENIED');
  });
});
