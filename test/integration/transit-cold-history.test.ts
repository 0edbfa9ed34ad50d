import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import {
  EncryptionCodec,
  METADATA_KEYS,
  VaultClient,
  VaultTransitKeyProvider,
  VaultTransitKeys,
} from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { payloadToJson } from '../../codec-server/payload-json.js';
import { startCountingProxy, type CountingProxy } from '../../harness/counting-proxy.js';
import { valueOfJsonPayload } from '../../harness/codec-server-harness.js';
import { rootRequester } from '../support/vault-fixtures.js';

// A history written by many worker processes over hours names many Transit data keys. Opening it cold must cost one
// batch decrypt per Transit key, not one round trip per data key: proven through a proxy that counts Vault requests
// and adds 50 ms to each, against OpenBao.

const vault = inject('vault');
const root = rootRequester(vault);
const suffix = randomBytes(4).toString('hex');
const transitMount = `transit-cold-${suffix}`;
const namespace = `cold-${suffix}`;
const silent = { write: () => undefined };
const closers: Array<() => Promise<unknown>> = [];
let proxy: CountingProxy;
let url = '';
/** 100 payloads, five under each of 20 data keys, in their JSON form. */
type JsonPayload = { metadata: Record<string, string>; data?: string };
const history: JsonPayload[] = [];

const json = (value: string): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(value)),
});

const transit = (r: { path: string }) => r.path.startsWith(`/v1/${transitMount}/`);

async function decode(payloads: unknown[]): Promise<Response> {
  return fetch(`${url}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': namespace },
    body: JSON.stringify({ payloads }),
  });
}

beforeAll(async () => {
  await root('POST', `sys/mounts/${transitMount}`, { type: 'transit' });
  const client = new VaultClient({ endpoint: vault.addr, token: vault.token });
  await new VaultTransitKeys({ client, mount: transitMount }).createKey(namespace);
  // Twenty worker processes, each with its own data key, each sealing five payloads.
  for (let worker = 0; worker < 20; worker++) {
    const provider = new VaultTransitKeyProvider({ client, mount: transitMount });
    const sealed = await new EncryptionCodec({ namespace, keyProvider: provider }).encode(
      Array.from({ length: 5 }, (_, i) => json(`${worker}.${i}`)),
    );
    history.push(...sealed.map((payload) => payloadToJson(payload) as JsonPayload));
    await provider.close();
  }
  proxy = await startCountingProxy(vault.addr);
  closers.push(() => proxy.close());
  const config = loadConfig({ VAULT_ADDR: proxy.url, VAULT_TOKEN: vault.token }, [
    '--port',
    '0',
    '--key-source',
    'vault-transit',
    '--vault-transit-mount',
    transitMount,
  ]);
  const server: RunningServer = await startServer({ deps: await createServerDeps(config, { logDestination: silent }) });
  closers.push(() => server.shutdown(1000));
  url = server.url;
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await root('DELETE', `sys/mounts/${transitMount}`).catch(() => undefined);
});

describe('a cold /decode of a history under many Transit data keys', () => {
  it('unwraps 20 data keys of 100 payloads in one batch decrypt request', async () => {
    const wrapped = new Set(history.map((p) => p.metadata[METADATA_KEYS.wrappedKey]));
    expect(wrapped.size).toBe(20);
    proxy.setDelay(50);
    proxy.reset();
    const response = await decode(history);
    expect(response.status).toBe(200);
    const { payloads } = (await response.json()) as { payloads: Array<{ data?: string }> };
    expect(payloads.map((p) => valueOfJsonPayload(p))).toEqual(
      Array.from({ length: 100 }, (_, n) => `${Math.floor(n / 5)}.${n % 5}`),
    );
    // One Transit request in all (the server's own token checks aside): the batch decrypt.
    expect(proxy.requests.filter((r) => r.path.startsWith(`/v1/${transitMount}/`))).toEqual([
      { method: 'POST', path: `/v1/${transitMount}/decrypt/temporal-codec-${namespace}` },
    ]);

    proxy.reset();
    expect((await decode(history)).status).toBe(200);
    expect(proxy.count(transit)).toBe(0);
  });

  it('fails a forged wrapped key alone, in the same single request', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const forged = {
      ...history[0]!,
      metadata: {
        ...history[0]!.metadata,
        [METADATA_KEYS.wrappedKey]: b64(`vault:v1:${randomBytes(60).toString('base64')}`),
      },
    };
    // A server whose cache is cold again: restart-free, by naming keys it never unwrapped (a new writer's data keys).
    const client = new VaultClient({ endpoint: vault.addr, token: vault.token });
    const fresh: JsonPayload[] = [];
    for (let worker = 0; worker < 3; worker++) {
      const provider = new VaultTransitKeyProvider({ client, mount: transitMount });
      const [sealed] = await new EncryptionCodec({ namespace, keyProvider: provider }).encode([
        json(`fresh ${worker}`),
      ]);
      fresh.push(payloadToJson(sealed!) as JsonPayload);
      await provider.close();
    }
    proxy.setDelay(50);
    proxy.reset();
    const response = await decode([fresh[0], forged, fresh[1], fresh[2]]);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.headers.get('x-codec-decode-errors') ?? '[]')).toEqual([
      { index: 1, code: 'ERR_DECRYPTION_FAILED' },
    ]);
    const { payloads } = (await response.json()) as { payloads: Array<{ data?: string }> };
    expect([0, 2, 3].map((i) => valueOfJsonPayload(payloads[i]))).toEqual(['fresh 0', 'fresh 1', 'fresh 2']);
    expect(proxy.count(transit)).toBe(1);
  });

  it('fails each item of an all-forged batch alone, in one request, and remembers the refusals', async () => {
    const forgeries = Array.from({ length: 5 }, () => ({
      ...history[0]!,
      metadata: {
        ...history[0]!.metadata,
        [METADATA_KEYS.wrappedKey]: Buffer.from(`vault:v1:${randomBytes(60).toString('base64')}`).toString('base64'),
      },
    }));
    proxy.reset();
    const response = await decode(forgeries);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-codec-decode-error-count')).toBe('5');
    expect(proxy.count(transit)).toBe(1);
    proxy.reset();
    expect((await decode(forgeries)).status).toBe(200);
    expect(proxy.count(transit)).toBe(0);
  });
});
