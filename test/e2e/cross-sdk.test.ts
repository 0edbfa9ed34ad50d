import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EncryptionCodec,
  METADATA_KEYS,
  VaultClient,
  VaultTransitKeyProvider,
  VaultTransitKeys,
  type KeyProvider,
} from '../../codec/index.js';
import type { RunningServer } from '../../codec-server/index.js';
import {
  buildGoActivityWorker,
  startGoActivityWorker,
  startPythonWorkflowWorker,
  type SdkWorker,
  type SdkWorkerSettings,
  type SharedKeys,
} from '../support/cross-sdk-workers.js';
import { resolveGo } from '../support/go-port.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  collectPayloads,
  decodeWithCodecServer,
  historyBytes,
  keyVersionOf,
  metadataText,
  payloadText,
  plaintextFound,
  startCodecServer,
} from '../support/temporal-fixtures.js';
import { kvProvider, uniquePrefix } from '../support/vault-fixtures.js';
import { payloadsBySealer, runCrossSdkChain, type CrossSdkRun } from './cross-sdk-run.js';

// One encrypted namespace, three SDKs: a TypeScript client starts a workflow that a Python worker runs, whose
// activity runs on a Go worker, all sealing with the same Vault keys, on a real dev server and the shared OpenBao.
// Every SDK trusts the newest key version for 1 s, so a rotation mid-run reaches all three within a few steps.

const vault = inject('vault');
const LATEST_TTL_SECONDS = 1;
let goWorkerBin: string;
let server: TemporalDevServer;
let connection: Connection;

/** How one mode's keys are made, rotated, and reached by the TypeScript client and the codec server. */
interface ModeKeys {
  readonly shared: SharedKeys;
  readonly provider: KeyProvider;
  readonly rotate: () => Promise<void>;
  readonly codecServer: { env: Record<string, string>; argv: string[] };
}

const vaultEnv = () => ({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token });

async function kvKeys(): Promise<ModeKeys> {
  const pathPrefix = uniquePrefix('cross-sdk');
  const { store, provider } = kvProvider(vault, { pathPrefix, cache: { latestTtlMs: LATEST_TTL_SECONDS * 1000 } });
  await store.createKey('default');
  return {
    shared: { source: 'vault-kv', pathPrefix },
    provider,
    rotate: async () => void (await store.rotateKey('default')),
    codecServer: { env: { ...vaultEnv(), VAULT_KEY_PREFIX: pathPrefix }, argv: ['--port', '0'] },
  };
}

async function transitKeys(): Promise<ModeKeys> {
  // Transit is not mounted on a dev server; this file mounts its own, so files sharing the server cannot collide.
  const mount = `transit-xsdk-${randomBytes(4).toString('hex')}`;
  const mounted = await fetch(`${vault.addr}/v1/sys/mounts/${mount}`, {
    method: 'POST',
    headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'transit' }),
  });
  expect(mounted.status).toBe(204);
  const client = new VaultClient({ endpoint: vault.addr, token: vault.token });
  const admin = new VaultTransitKeys({ client, mount });
  await admin.createKey('default');
  return {
    shared: { source: 'vault-transit', mount },
    provider: new VaultTransitKeyProvider({ client, mount, dataKeyMaxAgeMs: LATEST_TTL_SECONDS * 1000 }),
    rotate: async () => void (await admin.rotateKey('default')),
    codecServer: {
      env: vaultEnv(),
      argv: ['--port', '0', '--key-source', 'vault-transit', '--vault-transit-mount', mount],
    },
  };
}

beforeAll(async () => {
  // The Go worker is built once for both modes, while the dev server starts.
  [goWorkerBin, server] = await Promise.all([buildGoActivityWorker(resolveGo()), startTemporalDevServer()]);
  connection = await Connection.connect({ address: server.address });
}, 600_000);

afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

describe.each([
  { mode: 'Vault KV', makeKeys: kvKeys },
  { mode: 'Vault Transit', makeKeys: transitKeys },
])('a TypeScript client, a Python workflow worker and a Go activity worker in $mode mode', ({ makeKeys }) => {
  const workers: SdkWorker[] = [];
  let keys: ModeKeys;
  let codec: EncryptionCodec;
  let codecServer: RunningServer | undefined;
  let run: CrossSdkRun;
  let payloads: Payload[];

  beforeAll(async () => {
    keys = await makeKeys();
    const suffix = randomBytes(4).toString('hex');
    const settings = (taskQueue: string): SdkWorkerSettings => ({
      vault,
      temporalAddress: server.address,
      namespace: server.namespace,
      taskQueue,
      keys: keys.shared,
      latestTtlSeconds: LATEST_TTL_SECONDS,
    });
    const workflowTaskQueue = `xsdk-workflows-${suffix}`;
    const activityTaskQueue = `xsdk-activities-${suffix}`;
    const started = await Promise.allSettled([
      startPythonWorkflowWorker(settings(workflowTaskQueue)),
      startGoActivityWorker(goWorkerBin, settings(activityTaskQueue)),
    ]);
    for (const outcome of started) if (outcome.status === 'fulfilled') workers.push(outcome.value);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    codec = new EncryptionCodec({ namespace: server.namespace, keyProvider: keys.provider });
    const client = new Client({ connection, namespace: server.namespace, dataConverter: { payloadCodecs: [codec] } });
    run = await runCrossSdkChain(client, { workflowTaskQueue, activityTaskQueue, rotate: keys.rotate });
    payloads = collectPayloads(run.events);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await codecServer?.shutdown();
    codec?.close();
    await keys?.provider.close();
  });

  it('the TypeScript client reads the result the Python workflow built from the Go activity answers', () => {
    expect(run.result).toEqual({
      order: run.order.id,
      notes: run.notes.map((note) => `go saw ${note}`),
      closing: `python closed ${run.closing}`,
    });
  });

  it('every payload of the history is sealed under the shared key, and no plaintext is in it', () => {
    // workflow input, one activity input and result per step, the signals, the workflow result
    expect(payloads.length).toBe(1 + 2 * run.steps + run.steps + 1);
    for (const payload of payloads) {
      expect(metadataText(payload)).toMatchObject({
        encoding: 'binary/encrypted',
        'encryption-format': 'tvc1-aes256gcm-hkdf-sha256-commit',
        'encryption-key-id': 'default',
      });
      if (keys.shared.source === 'vault-transit') {
        expect(metadataText(payload)[METADATA_KEYS.wrappedKey]).toMatch(`vault:v${keyVersionOf(payload)}:`);
      }
    }
    expect(plaintextFound(historyBytes(run.events), run.markers)).toEqual([]);
    // Control: the search finds what the server keeps in the clear.
    expect(plaintextFound(historyBytes(run.events), [run.workflowId])).toEqual([run.workflowId]);
  });

  it('a key rotation in the middle is seen by all three SDKs: each sealed first with version 1, last with 2', () => {
    const sealed = payloadsBySealer(run.events);
    const versions = (group: Payload[]) => [keyVersionOf(group[0]!), keyVersionOf(group.at(-1)!)];
    expect({
      typescript: versions(sealed.typescript),
      python: versions(sealed.python),
      go: versions(sealed.go),
    }).toEqual({ typescript: [1, 2], python: [1, 2], go: [1, 2] });
  });

  it('the codec server, with the same Vault settings, decodes every payload of the history', async () => {
    codecServer = await startCodecServer(keys.codecServer.env, keys.codecServer.argv);
    const answer = await decodeWithCodecServer(codecServer.url, server.namespace, payloads);
    expect(answer).toMatchObject({ status: 200, decodeErrors: null });
    expect(answer.payloads.map(metadataText)).toEqual(payloads.map(() => ({ encoding: 'json/plain' })));
    // The same plaintext the TypeScript library reads from them.
    const decodedByLibrary = await codec.decode(payloads);
    expect(answer.payloads.map(payloadText)).toEqual(decodedByLibrary.map(payloadText));
    const decodedText = answer.payloads.map(payloadText).join('\n');
    expect(run.markers.filter((marker) => !decodedText.includes(marker))).toEqual([]);
  });
});
