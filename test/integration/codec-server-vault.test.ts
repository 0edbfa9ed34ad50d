import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VaultClient, VaultKvStore } from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { jsonPayloadJson, metadataText, valueOfJsonPayload } from '../../harness/codec-server-harness.js';
import { freePort } from '../../harness/free-port.js';
import { uniquePrefix } from '../support/vault-fixtures.js';

const vault = inject('vault');
const prefix = uniquePrefix('codec-server');
const silent = { write: () => undefined };
const running: RunningServer[] = [];

interface Payloads {
  payloads: Array<{ metadata?: Record<string, string>; data?: string }>;
}

async function serve(env: Record<string, string>, argv: string[] = []): Promise<RunningServer> {
  const config = loadConfig(env, ['--port', '0', '--vault-key-prefix', prefix, ...argv]);
  const server = await startServer({ deps: await createServerDeps(config, { logDestination: silent }) });
  running.push(server);
  return server;
}

async function post(url: string, body: unknown, namespace = 'default'): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'X-Namespace': namespace },
  });
}

beforeAll(async () => {
  // The server never creates Vault keys: an administrator does, as here.
  const store = new VaultKvStore({
    client: new VaultClient({ endpoint: vault.addr, token: vault.token }),
    pathPrefix: prefix,
  });
  await store.createKey('default');
  await store.createKey('orders');
});
afterAll(async () => {
  await Promise.all(running.map((server) => server.shutdown(1000)));
});

describe('codec server on Vault KV v2 (OpenBao)', () => {
  it('round-trips payloads over a listening socket with only VAULT_ADDR and VAULT_TOKEN set', async () => {
    const server = await serve({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const encoded = await post(`${server.url}/encode`, {
      payloads: [jsonPayloadJson('from vault'), jsonPayloadJson(42)],
    });
    expect(encoded.status).toBe(200);
    const sealed = (await encoded.json()) as Payloads;
    expect(sealed.payloads.map((p) => metadataText(p, 'encryption-key-version'))).toEqual(['1', '1']);
    // A second server with a cold cache proves the key comes from Vault, not from memory.
    const other = await serve({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token });
    const decoded = await post(`${other.url}/decode?preserveStorageRefs=true`, sealed);
    expect(decoded.status).toBe(200);
    expect(((await decoded.json()) as Payloads).payloads.map(valueOfJsonPayload)).toEqual(['from vault', 42]);
  });

  it('serves each namespace with its own key, and refuses a payload moved to another namespace', async () => {
    const server = await serve({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token });
    const sealed = (await (
      await post(`${server.url}/encode`, { payloads: [jsonPayloadJson('o')] }, 'orders')
    ).json()) as Payloads;
    expect(metadataText(sealed.payloads[0], 'encryption-key-id')).toBe('orders');
    const moved = await post(`${server.url}/decode`, sealed, 'default');
    expect(moved.status).toBe(200);
    expect(JSON.parse(moved.headers.get('x-codec-decode-errors') ?? '[]')).toEqual([
      { index: 0, code: 'ERR_NAMESPACE_MISMATCH' },
    ]);
    expect(((await moved.json()) as Payloads).payloads).toEqual(sealed.payloads);
  });

  it('answers 400 ERR_UNKNOWN_KEY when encoding for a namespace whose key was never created', async () => {
    const server = await serve({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token });
    const res = await post(`${server.url}/encode`, { payloads: [jsonPayloadJson(1)] }, 'no-key-here');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_UNKNOWN_KEY');
  });

  it('goes unready (503) when pointed at a dead Vault address, and answers codec requests with 503', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const server = await serve({ VAULT_ADDR: dead, VAULT_TOKEN: 'irrelevant' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: { code: string } }).error.code).toBe('ERR_KEY_SOURCE_UNAVAILABLE');
    const encoded = await post(`${server.url}/encode`, { payloads: [jsonPayloadJson(1)] });
    expect(encoded.status).toBe(503);
    expect(((await encoded.json()) as { error: { code: string } }).error.code).toBe('ERR_KEY_SOURCE_UNAVAILABLE');
  });
});
