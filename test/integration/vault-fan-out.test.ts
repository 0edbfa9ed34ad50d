import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VaultClient, VaultKvStore, VaultTransitKeys } from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { startCountingProxy, type CountingProxy } from '../../harness/counting-proxy.js';
import { jsonPayloadJson } from '../../harness/codec-server-harness.js';
import { rootRequester } from '../support/vault-fixtures.js';

// A /decode naming hundreds of versions (or wrapped keys) that do not exist must cost Vault a small constant number
// of requests, and nothing when repeated: per request at most --max-key-versions lookups, refusals remembered.

const vault = inject('vault');
const root = rootRequester(vault);
const suffix = randomBytes(4).toString('hex');
const transitMount = `transit-fan-${suffix}`;
const silent = { write: () => undefined };
const servers: RunningServer[] = [];
let proxy: CountingProxy;

interface Answer {
  payloads: Array<{ metadata?: Record<string, string> }>;
}

async function serve(argv: string[]): Promise<string> {
  const config = loadConfig({ VAULT_ADDR: proxy.url, VAULT_TOKEN: vault.token }, ['--port', '0', ...argv]);
  const server = await startServer({ deps: await createServerDeps(config, { logDestination: silent }) });
  servers.push(server);
  return server.url;
}

async function post(url: string, namespace: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': namespace },
    body: JSON.stringify(body),
  });
}

/** `count` copies of a genuine sealed payload, each naming another version (KV) or carrying another wrapped key. */
function forgeries(sealed: Answer['payloads'][number], count: number, field: 'version' | 'wrapped'): unknown[] {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return Array.from({ length: count }, (_, i) => ({
    ...sealed,
    metadata: {
      ...sealed.metadata,
      ...(field === 'version'
        ? { 'encryption-key-version': b64(String(1000 + i)) }
        : { 'encryption-wrapped-key': b64(`vault:v1:${randomBytes(60).toString('base64')}`) }),
    },
  }));
}

beforeAll(async () => {
  proxy = await startCountingProxy(vault.addr);
  await root('POST', `sys/mounts/${transitMount}`, { type: 'transit' });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.shutdown(1000)));
  await proxy.close();
  await root('DELETE', `sys/mounts/${transitMount}`).catch(() => undefined);
});

describe('Vault fan-out of one /decode', () => {
  it('KV: 500 distinct unknown versions cost at most --max-key-versions reads, and 0 on the repeat', async () => {
    const namespace = `fan-kv-${suffix}`;
    await new VaultKvStore({ client: new VaultClient({ endpoint: vault.addr, token: vault.token }) }).createKey(
      namespace,
    );
    const url = await serve(['--max-key-versions', '8']);
    const sealed = (await (
      await post(url, namespace, '/encode', { payloads: [jsonPayloadJson('x')] })
    ).json()) as Answer;
    const body = { payloads: forgeries(sealed.payloads[0]!, 500, 'version') };

    proxy.reset();
    const first = await post(url, namespace, '/decode', body);
    expect(first.status).toBe(200);
    const codes = JSON.parse(first.headers.get('x-codec-decode-errors') ?? '[]') as Array<{ code: string }>;
    expect(first.headers.get('x-codec-decode-error-count')).toBe('500');
    expect(new Set(codes.map((failure) => failure.code))).toEqual(
      new Set(['ERR_UNKNOWN_KEY_VERSION', 'ERR_KEY_LOOKUP_LIMIT']),
    );
    expect(proxy.count()).toBeLessThanOrEqual(8);

    proxy.reset();
    expect((await post(url, namespace, '/decode', body)).status).toBe(200);
    // The 8 refusals are remembered; the other 492 versions were never asked and are again not asked beyond the cap.
    expect(proxy.count((r) => /\/data\/.*version=10(0[0-7])$/.test(r.path))).toBe(0);
    expect(proxy.count()).toBeLessThanOrEqual(8);
  });

  it('Transit: 500 forged wrapped keys cost at most --max-key-versions decrypt calls, and 0 on the repeat', async () => {
    const namespace = `fan-tr-${suffix}`;
    await new VaultTransitKeys({
      client: new VaultClient({ endpoint: vault.addr, token: vault.token }),
      mount: transitMount,
    }).createKey(namespace);
    const url = await serve([
      '--key-source',
      'vault-transit',
      '--vault-transit-mount',
      transitMount,
      '--max-key-versions',
      '8',
    ]);
    const sealed = (await (
      await post(url, namespace, '/encode', { payloads: [jsonPayloadJson('x')] })
    ).json()) as Answer;
    const body = { payloads: forgeries(sealed.payloads[0]!, 500, 'wrapped') };

    proxy.reset();
    const first = await post(url, namespace, '/decode', body);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-codec-decode-error-count')).toBe('500');
    const decrypts = () => proxy.count((r) => r.path.includes(`/${transitMount}/decrypt/`));
    expect(decrypts()).toBeLessThanOrEqual(8);

    proxy.reset();
    const again = await post(url, namespace, '/decode', { payloads: body.payloads.slice(0, 8) });
    expect(again.status).toBe(200);
    expect(decrypts()).toBe(0);
  });
});
