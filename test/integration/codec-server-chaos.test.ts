import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachingKeyProvider, VaultClient, VaultKvStore } from '../../codec/index.js';
import { createApp, createLogger, createMetrics, loadConfig } from '../../codec-server/index.js';
import { jsonPayloadJson, valueOfJsonPayload } from '../../harness/codec-server-harness.js';
import { OpenBaoServer } from '../../harness/openbao-server.js';

// 50 concurrent clients encode and decode through the codec server while the key rotates and OpenBao is killed and
// restarted. Afterwards every payload encoded during the run must decode, through a server with a cold cache, to
// exactly its original value: 0 lost, 0 corrupted.

const CLIENTS = 50;
const ROUNDS_PER_CLIENT = 12;
let bao: OpenBaoServer;
const servers: Array<{ server: Server; close: () => Promise<void> }> = [];

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

async function serve(latestTtlMs: number, argv: readonly string[] = []): Promise<string> {
  const client = new VaultClient({ endpoint: bao.addr, token: bao.token, retries: 1, backoffMs: 20, timeoutMs: 1000 });
  const provider = new CachingKeyProvider(new VaultKvStore({ client, pathPrefix: 'chaos/' }), { latestTtlMs });
  const app = createApp({
    config: loadConfig({}, [...argv]),
    provider,
    logger: createLogger({ level: 'warn', destination: { write: () => undefined } }),
    metrics: createMetrics(),
  });
  const server = createServer({ keepAlive: true }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ server, close: () => provider.close() });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** POSTs until the server answers 200; 503 (key source down) is the documented "retry" answer. */
async function postUntilOk(
  url: string,
  payloads: JsonPayload[],
  counters: { retries: number },
): Promise<JsonPayload[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
      body: JSON.stringify({ payloads }),
    });
    if (response.status === 200) return ((await response.json()) as { payloads: JsonPayload[] }).payloads;
    expect(response.status).toBe(503);
    await response.arrayBuffer();
    counters.retries++;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no 200 from ${url} after 200 attempts`);
}

beforeAll(async () => {
  bao = await OpenBaoServer.startPersistent();
  await bao.enableSecretsEngine('secret', 'kv', { version: '2' });
  await new VaultKvStore({
    client: new VaultClient({ endpoint: bao.addr, token: bao.token }),
    pathPrefix: 'chaos/',
  }).createKey('default');
});
afterAll(async () => {
  for (const { server, close } of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await close();
  }
  await bao?.stop({ signal: 'SIGKILL' });
});

describe('codec server under concurrency, rotation and an OpenBao restart', () => {
  it('loses and corrupts nothing', async () => {
    const url = await serve(100);
    const admin = new VaultKvStore({
      client: new VaultClient({ endpoint: bao.addr, token: bao.token }),
      pathPrefix: 'chaos/',
    });
    const encoded = new Map<string, JsonPayload>();
    const counters = { retries: 0, mismatches: 0 };
    const outage = { down: false, roundsWhileDown: 0 };
    let running = true;

    const chaos = (async () => {
      let rotations = 0;
      while (running) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        if (!running) break;
        if (rotations === 4) {
          await bao.halt({ signal: 'SIGKILL' });
          outage.down = true;
          await new Promise((resolve) => setTimeout(resolve, 1500));
          outage.down = false;
          await bao.restart();
        } else {
          await admin.rotateKey('default');
        }
        rotations++;
      }
      return rotations;
    })();

    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let round = 0; round < ROUNDS_PER_CLIENT; round++) {
          const value = `client-${client}-round-${round}`;
          const [sealed] = await postUntilOk(`${url}/encode`, [jsonPayloadJson(value)], counters);
          encoded.set(value, sealed!);
          const [opened] = await postUntilOk(`${url}/decode`, [sealed!], counters);
          if (valueOfJsonPayload(opened) !== value) counters.mismatches++;
          if (outage.down) outage.roundsWhileDown++;
        }
      }),
    );
    running = false;
    const rotations = await chaos;

    // A fresh server with a cold cache: every payload must come back from OpenBao's keys, not from memory.
    // One request names every version the rotations made (often more than the per-request lookup cap): let it.
    const cold = await serve(60_000, ['--max-key-versions', '10000']);
    const values = [...encoded.keys()];
    const opened = await postUntilOk(
      `${cold}/decode`,
      values.map((v) => encoded.get(v)!),
      counters,
    );
    const corrupted = opened.filter((payload, i) => valueOfJsonPayload(payload) !== values[i]).length;
    const versions = new Set(
      values.map((v) => Buffer.from(encoded.get(v)!.metadata!['encryption-key-version']!, 'base64').toString()),
    );

    expect(encoded.size).toBe(CLIENTS * ROUNDS_PER_CLIENT);
    expect(counters.mismatches).toBe(0);
    expect(corrupted).toBe(0);
    expect(rotations).toBeGreaterThanOrEqual(5);
    // The outage really overlapped the clients' work (cached keys kept serving them).
    expect(outage.roundsWhileDown).toBeGreaterThan(0);
    // Payloads were written under several key versions while the key rotated.
    expect(versions.size).toBeGreaterThan(1);
  }, 180_000);
});
