import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CachingKeyProvider, EncryptionCodec, VaultClient, VaultKvStore } from '../../codec/index.js';
import { runPython } from '../support/python-port.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  collectPayloads,
  fetchHistoryEvents,
  historyBytes,
  metadataText,
  plaintextFound,
  type HistoryEvent,
} from '../support/temporal-fixtures.js';
import { uniquePrefix } from '../support/vault-fixtures.js';

// The README's "Using it from Python" example (ports/python/examples/checkout.py): a Python worker and client on a
// real dev server, sealing with keys in the shared OpenBao's KV v2; the history is then read by TypeScript.
const vault = inject('vault');
const keyPrefix = uniquePrefix('port-python-worker');
const customer = `customer-${randomUUID().slice(0, 8)}`;
let server: TemporalDevServer;
let connection: Connection;
let provider: CachingKeyProvider;
let run: { workflowId: string; runId: string; result: string };
let events: HistoryEvent[];

beforeAll(async () => {
  const store = new VaultKvStore({
    client: new VaultClient({ endpoint: vault.addr, token: vault.token }),
    pathPrefix: keyPrefix,
  });
  await store.createKey('default');
  provider = new CachingKeyProvider(store);
  server = await startTemporalDevServer();
  const example = await runPython(['examples/checkout.py', customer], {
    env: {
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.token,
      VAULT_KEY_PREFIX: keyPrefix,
      TEMPORAL_ADDRESS: server.address,
    },
    timeoutMs: 120_000,
  });
  expect(example.status, example.stderr.slice(-3000)).toBe(0);
  run = JSON.parse(example.stdout.trim().split('\n').pop()!) as typeof run;
  connection = await Connection.connect({ address: server.address });
  events = await fetchHistoryEvents(new Client({ connection, namespace: 'default' }), run.workflowId, run.runId);
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await provider?.close();
  await server?.stop();
});

describe('the Python example worker and client on a real Temporal dev server', () => {
  it('gives the Python client the decrypted result', () => {
    expect(run.result).toBe(`charged ${customer}`);
  });

  it('stores every payload encrypted under the KV key, with no plaintext in the history', () => {
    const payloads = collectPayloads(events);
    // workflow input, activity input, activity result, workflow result
    expect(payloads.length).toBeGreaterThanOrEqual(4);
    for (const payload of payloads) {
      expect(metadataText(payload)).toMatchObject({
        encoding: 'binary/encrypted',
        'encryption-format': 'tvc1-aes256gcm-hkdf-sha256-commit',
        'encryption-key-id': 'default',
        'encryption-key-version': '1',
      });
    }
    expect(plaintextFound(historyBytes(events), [customer])).toEqual([]);
    // Control: the search finds what the server keeps in the clear.
    expect(plaintextFound(historyBytes(events), [run.workflowId])).toEqual([run.workflowId]);
  });

  it('the TypeScript codec opens every payload the Python worker and client wrote', async () => {
    const codec = new EncryptionCodec({ namespace: 'default', keyProvider: provider });
    const decoded = await codec.decode(collectPayloads(events));
    const texts = decoded.map((p) => new TextDecoder().decode(p.data));
    expect(texts).toContain(JSON.stringify(customer));
    expect(texts).toContain(JSON.stringify(`charged ${customer}`));
    codec.close();
  });
});
