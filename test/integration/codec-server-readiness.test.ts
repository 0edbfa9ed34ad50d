import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { OpenBaoServer } from '../../harness/openbao-server.js';
import { rootRequester } from '../support/vault-fixtures.js';

// /readyz answers ready only when the key source the server uses would work: its token is valid, its mount exists, is
// of the right kind and is reachable with that token (Vault's own mount preflight, allowed to any token with a
// capability under the mount). A sealed Vault, a load balancer's error page, a wrong token or a wrong mount are not
// ready. Proven against OpenBao, with least-privilege tokens as the shipped policies grant.

const vault = inject('vault');
const root = rootRequester(vault);
const suffix = randomBytes(4).toString('hex');
const kvPrefix = `readyz-${suffix}/`;
const transitMount = `transit-readyz-${suffix}`;
const kv1Mount = `kv1-readyz-${suffix}`;
const running: RunningServer[] = [];
const stubs: Server[] = [];
let sealedVault: OpenBaoServer | undefined;
const tokens = { kvDecode: '', kvNarrow: '', transitDecode: '', otherMountOnly: '' };

/** A token holding only `policy` (no default policy). */
async function tokenWith(name: string, policy: string): Promise<string> {
  await root('PUT', `sys/policies/acl/${name}-${suffix}`, { policy });
  const created = await root<{ auth: { client_token: string } }>('POST', 'auth/token/create', {
    policies: [`${name}-${suffix}`],
    no_default_policy: true,
    ttl: '10m',
  });
  return created.auth.client_token;
}

async function readyz(env: Record<string, string>, argv: string[] = []): Promise<{ status: number; code?: string }> {
  const config = loadConfig(env, ['--port', '0', '--request-timeout-ms', '5000', ...argv]);
  const server = await startServer({
    deps: await createServerDeps(config, { logDestination: { write: () => undefined } }),
  });
  running.push(server);
  const res = await fetch(`${server.url}/readyz`);
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(body.error === undefined ? {} : { code: body.error.code }) };
}

/** An HTTP server that answers every request like a load balancer with no healthy backend, or a portal page. */
async function errorPage(status: number): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end('<html><body><h1>Service Unavailable</h1></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stubs.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const kv = (token: string, ...argv: string[]) =>
  readyz({ VAULT_ADDR: vault.addr, VAULT_TOKEN: token }, ['--vault-key-prefix', kvPrefix, ...argv]);
const transit = (token: string, ...argv: string[]) =>
  readyz({ VAULT_ADDR: vault.addr, VAULT_TOKEN: token }, [
    '--key-source',
    'vault-transit',
    '--vault-transit-mount',
    transitMount,
    ...argv,
  ]);

beforeAll(async () => {
  await root('POST', `sys/mounts/${transitMount}`, { type: 'transit' });
  await root('POST', `sys/mounts/${kv1Mount}`, { type: 'kv', options: { version: '1' } });
  // As policies/codec-server-decode.hcl, for this file's prefix and mount.
  tokens.kvDecode = await tokenWith('kv-decode', `path "secret/data/${kvPrefix}*" { capabilities = ["read"] }`);
  // As the worker policy narrowed to one namespace, as its comment suggests.
  tokens.kvNarrow = await tokenWith('kv-narrow', `path "secret/data/${kvPrefix}orders" { capabilities = ["read"] }`);
  tokens.transitDecode = await tokenWith(
    'transit-decode',
    `path "${transitMount}/decrypt/temporal-codec-*" { capabilities = ["update"] }`,
  );
  tokens.otherMountOnly = await tokenWith('other', `path "${kv1Mount}/*" { capabilities = ["read"] }`);
});

afterAll(async () => {
  await Promise.all(running.map((server) => server.shutdown(500)));
  for (const stub of stubs) stub.close();
  await sealedVault?.stop({ signal: 'SIGKILL' });
});

describe('codec server /readyz checks the token and the mount it uses', () => {
  it('KV: ready with the root token, the decode-only policy and a policy narrowed to one namespace', async () => {
    expect(await kv(vault.token)).toEqual({ status: 200 });
    expect(await kv(tokens.kvDecode)).toEqual({ status: 200 });
    expect(await kv(tokens.kvNarrow)).toEqual({ status: 200 });
  });

  it('KV: not ready with a wrong token, a token for another mount only, or a mount that does not exist', async () => {
    expect(await kv('s.not-a-real-token')).toEqual({ status: 503, code: 'ERR_KEY_SOURCE_DENIED' });
    expect(await kv(tokens.otherMountOnly)).toEqual({ status: 503, code: 'ERR_KEY_SOURCE_DENIED' });
    expect(await kv(vault.token, '--vault-kv-mount', `no-such-mount-${suffix}`)).toEqual({
      status: 503,
      code: 'ERR_KEY_SOURCE_DENIED',
    });
  });

  it('KV: not ready when the mount is not KV version 2 (a KV v1 or a Transit mount)', async () => {
    expect(await kv(vault.token, '--vault-kv-mount', kv1Mount)).toEqual({ status: 503, code: 'ERR_INVALID_CONFIG' });
    expect(await kv(vault.token, '--vault-kv-mount', transitMount)).toEqual({
      status: 503,
      code: 'ERR_INVALID_CONFIG',
    });
  });

  it('Transit: ready with the decode-only policy; not ready with a wrong token, mount or mount type', async () => {
    expect(await transit(vault.token)).toEqual({ status: 200 });
    expect(await transit(tokens.transitDecode)).toEqual({ status: 200 });
    expect(await transit('s.not-a-real-token')).toEqual({ status: 503, code: 'ERR_KEY_SOURCE_DENIED' });
    expect(await transit(vault.token, '--vault-transit-mount', `no-such-${suffix}`)).toEqual({
      status: 503,
      code: 'ERR_KEY_SOURCE_DENIED',
    });
    expect(await transit(vault.token, '--vault-transit-mount', 'secret')).toEqual({
      status: 503,
      code: 'ERR_INVALID_CONFIG',
    });
  });

  it('not ready when the address answers with an error page, 503 or 200', async () => {
    for (const status of [503, 502, 200, 404]) {
      const addr = await errorPage(status);
      const answer = await readyz({ VAULT_ADDR: addr, VAULT_TOKEN: vault.token });
      expect([status, answer.status]).toEqual([status, 503]);
      expect(answer.code).toMatch(/^ERR_KEY_SOURCE_(UNAVAILABLE|DENIED)$|^ERR_INVALID_CONFIG$/);
    }
  });

  it('not ready while OpenBao is sealed, ready again once unsealed', async () => {
    sealedVault = await OpenBaoServer.startPersistent();
    const env0 = { VAULT_ADDR: sealedVault.addr, VAULT_TOKEN: sealedVault.token };
    // A fresh server has no KV mount yet: not ready until there is one.
    expect(await readyz(env0)).toEqual({ status: 503, code: 'ERR_KEY_SOURCE_DENIED' });
    await sealedVault.enableSecretsEngine('secret', 'kv', { version: '2' });
    const env = { VAULT_ADDR: sealedVault.addr, VAULT_TOKEN: sealedVault.token };
    expect(await readyz(env)).toEqual({ status: 200 });
    await sealedVault.seal();
    expect(await readyz(env)).toEqual({ status: 503, code: 'ERR_KEY_SOURCE_UNAVAILABLE' });
    await sealedVault.unseal();
    expect(await readyz(env)).toEqual({ status: 200 });
  });
});
