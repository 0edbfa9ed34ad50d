/**
 * Proves the test infrastructure itself works: the shared OpenBao from global setup, the counting proxy, a persistent
 * OpenBao that survives restarts, and the Temporal dev server + CLI. Each describe can be run alone with `-t`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { startCountingProxy } from '../../harness/counting-proxy.js';
import type { CountingProxy } from '../../harness/counting-proxy.js';
import { freePort } from '../../harness/free-port.js';
import { OpenBaoRequestError, OpenBaoServer } from '../../harness/openbao-server.js';
import { runTemporalCli, startTemporalDevServer } from '../../harness/temporal-dev-server.js';
import type { TemporalDevServer } from '../../harness/temporal-dev-server.js';
import { tryResolveTool } from '../../harness/tools.js';

interface KvReadResponse {
  data: { data: Record<string, string>; metadata: { version: number } };
}

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Minimal Vault HTTP call against any base URL (the shared server, or the proxy in front of it). */
async function vaultFetch(baseUrl: string, token: string, method: string, path: string, body?: unknown) {
  return fetch(`${baseUrl}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('shared OpenBao from global setup', () => {
  const vault = inject('vault');
  // A private kv-v2 mount works the same on the dev server and on an external VAULT_ADDR, and cannot collide.
  const mount = unique('test-infra-kv');

  beforeAll(async () => {
    const res = await vaultFetch(vault.addr, vault.token, 'POST', `sys/mounts/${mount}`, {
      type: 'kv',
      options: { version: '2' },
    });
    expect(res.status).toBe(204);
  });

  afterAll(async () => {
    await vaultFetch(vault.addr, vault.token, 'DELETE', `sys/mounts/${mount}`);
  });

  it('answers sys/health with 200 (initialised, unsealed, active)', async () => {
    const res = await fetch(`${vault.addr}/v1/sys/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ initialized: true, sealed: false });
  });

  it('writes and reads back a kv-v2 secret', async () => {
    // kv-v2 finishes an internal upgrade right after mounting; retry the first write briefly.
    let write: Response | undefined;
    for (let i = 0; i < 50; i++) {
      write = await vaultFetch(vault.addr, vault.token, 'POST', `${mount}/data/greeting`, { data: { hello: 'world' } });
      if (write.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(write?.status).toBe(200);

    const read = await vaultFetch(vault.addr, vault.token, 'GET', `${mount}/data/greeting`);
    expect(read.status).toBe(200);
    const body = (await read.json()) as KvReadResponse;
    expect(body.data.data).toEqual({ hello: 'world' });
  });
});

describe('counting proxy', () => {
  const vault = inject('vault');
  let proxy: CountingProxy;

  beforeAll(async () => {
    proxy = await startCountingProxy(vault.addr);
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('forwards requests (path, query, body) and records each one', async () => {
    proxy.reset();
    const health = await fetch(`${proxy.url}/v1/sys/health?standbyok=true`);
    expect(health.status).toBe(200);

    // The token header must be forwarded for an authenticated call to succeed.
    const lookup = await vaultFetch(proxy.url, vault.token, 'GET', 'auth/token/lookup-self');
    expect(lookup.status).toBe(200);
    // sys/tools/hash hashes the request body, so a correct digest proves the body was streamed through intact.
    const hash = await vaultFetch(proxy.url, vault.token, 'POST', 'sys/tools/hash/sha2-256', { input: 'aGk=' });
    expect(hash.status).toBe(200);
    expect(((await hash.json()) as { data: { sum: string } }).data.sum).toBe(
      // sha256("hi")
      '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4',
    );

    expect(proxy.requests).toEqual([
      { method: 'GET', path: '/v1/sys/health?standbyok=true' },
      { method: 'GET', path: '/v1/auth/token/lookup-self' },
      { method: 'POST', path: '/v1/sys/tools/hash/sha2-256' },
    ]);
    expect(proxy.count((r) => r.method === 'GET')).toBe(2);
  });

  it('counts concurrent requests exactly, with an added delay', async () => {
    proxy.reset();
    proxy.setDelay(50);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async () => (await fetch(`${proxy.url}/v1/sys/health`)).status),
      );
      expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
      expect(proxy.count()).toBe(10);
    } finally {
      proxy.setDelay(0);
    }
  });

  it('resets the connection in refuse mode and recovers in forward mode', async () => {
    proxy.reset();
    proxy.setMode('refuse');
    try {
      await expect(fetch(`${proxy.url}/v1/sys/health`)).rejects.toThrow(/fetch failed/);
    } finally {
      proxy.setMode('forward');
    }
    const res = await fetch(`${proxy.url}/v1/sys/health`);
    expect(res.status).toBe(200);
    expect(proxy.count()).toBe(2);
  });

  it('answers 502 when the target is down', async () => {
    // Nothing listens on a just-released port.
    const deadProxy = await startCountingProxy(`http://127.0.0.1:${await freePort()}`);
    try {
      const res = await fetch(`${deadProxy.url}/v1/sys/health`);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { errors: string[] }).errors[0]).toMatch(/upstream unavailable/);
      expect(deadProxy.count()).toBe(1);
    } finally {
      await deadProxy.close();
    }
  });
});

describe.skipIf(tryResolveTool('bao') === undefined)('persistent OpenBao', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await OpenBaoServer.startPersistent();
    await server.enableSecretsEngine('kv', 'kv', { version: '2' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('keeps its data across a graceful stop and restart on the same address', async () => {
    await server.request('POST', 'kv/data/survivor', { data: { value: 'still here' } });
    const addrBefore = server.addr;

    await server.halt();
    expect(server.running).toBe(false);
    await expect(fetch(`${server.addr}/v1/sys/health`)).rejects.toThrow();

    await server.restart();
    expect(server.addr).toBe(addrBefore);
    const read = await server.request<KvReadResponse>('GET', 'kv/data/survivor');
    expect(read.data.data).toEqual({ value: 'still here' });
  });

  it('keeps its data across a crash (SIGKILL) and restart', async () => {
    await server.request('POST', 'kv/data/crash', { data: { value: 'durable' } });
    await server.halt({ signal: 'SIGKILL' });
    await server.restart();
    const read = await server.request<KvReadResponse>('GET', 'kv/data/crash');
    expect(read.data.data).toEqual({ value: 'durable' });
  });

  it('answers 503 while sealed and serves again after unseal', async () => {
    await server.seal();
    const sealed = await server.request('GET', 'kv/data/crash').catch((error: unknown) => error);
    expect(sealed).toBeInstanceOf(OpenBaoRequestError);
    expect((sealed as OpenBaoRequestError).status).toBe(503);

    await server.unseal();
    // Right after unseal the node is briefly standby (429) before it becomes active.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await fetch(`${server.addr}/v1/sys/health`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await server.request<KvReadResponse>('GET', 'kv/data/crash')).data.data).toEqual({ value: 'durable' });
  });
});

describe.skipIf(tryResolveTool('temporal') === undefined)('Temporal dev server', () => {
  let temporal: TemporalDevServer;

  beforeAll(async () => {
    temporal = await startTemporalDevServer();
  });

  afterAll(async () => {
    await temporal?.stop();
  });

  it('serves the default namespace to the temporal CLI', async () => {
    expect(temporal.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(temporal.uiUrl).toBeUndefined();
    const result = await runTemporalCli(['operator', 'namespace', 'list', '--address', temporal.address]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/NamespaceInfo\.Name\s+default/);
  });

  it('starts with the Web UI pointed at a codec endpoint when asked', async () => {
    const codecEndpoint = 'http://127.0.0.1:9/codec';
    const withUi = await startTemporalDevServer({ uiCodecEndpoint: codecEndpoint });
    try {
      expect(withUi.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const settings = (await (await fetch(`${withUi.uiUrl}/api/v1/settings`)).json()) as {
        Codec: { Endpoint: string };
      };
      expect(settings.Codec.Endpoint).toBe(codecEndpoint);
    } finally {
      await withUi.stop();
    }
  });

  it('reports a failing CLI call through the exit code instead of throwing', async () => {
    const result = await runTemporalCli([
      'operator',
      'namespace',
      'describe',
      '--namespace',
      unique('missing'),
      '--address',
      temporal.address,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toBe('');
  });
});
