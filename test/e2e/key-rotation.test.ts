import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from '../../codec/index.js';
import type { KeyProvider } from '../../codec/index.js';
import { approveOrder, processOrder } from '../../worker-example/workflows.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec, type ExampleCodec } from '../../worker-example/create-codec.js';
import { startOrder } from '../../worker-example/client.js';
import type { Order, OrderReceipt } from '../../worker-example/model.js';
import { bundleExampleWorkflows } from '../../worker-example/worker.js';
import { waitUntil } from '../../harness/managed-process.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  collectPayloads,
  connectClients,
  eventAttributes,
  fetchHistoryEvents,
  keyVersionOf,
  markedOrder,
  payloadText,
  startWorker,
  type RunningWorker,
  type TestClients,
} from '../support/temporal-fixtures.js';
import { kvProvider, uniquePrefix } from '../support/vault-fixtures.js';
import { scope } from '../support/key-scope.js';

// Key rotation while work is in flight, with keys in Vault KV on the shared OpenBao. The worker and the client cache
// "the newest version" for only 300 ms, so a rotation reaches them quickly; the tests still wait for the event (each
// process encrypting with the new version) rather than for a duration.
const TASK_QUEUE = 'key-rotation-e2e';
const LATEST_TTL_MS = 300;
// 200 workflows take ~20 s on a 2-core machine shared with another test file; the default 60 s is too tight a margin.
const ROTATION_RUN_TIMEOUT_MS = 180_000;
const vault = inject('vault');
const keyPrefix = uniquePrefix('rotation');
const admin = kvProvider(vault, { pathPrefix: keyPrefix });

let server: TemporalDevServer;
const codecs: ExampleCodec[] = [];
let clients: TestClients;
let clientCodec: ExampleCodec;
let workerCodec: ExampleCodec;
let worker: RunningWorker;

function exampleCodec(): ExampleCodec {
  const made = createCodec(
    loadExampleConfig({
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.token,
      VAULT_KEY_PREFIX: keyPrefix,
      KEY_LATEST_TTL_MS: String(LATEST_TTL_MS),
    }),
  );
  codecs.push(made);
  return made;
}

/** Rotates the namespace key and waits until the worker and the client both encrypt with the new version. */
async function rotate(): Promise<number> {
  const { version } = await admin.store.rotateKey('default');
  const sees = (provider: KeyProvider) => async () =>
    (await provider.encryptionKey(scope('default'), 1)).version === version ? true : undefined;
  const opts = { timeoutMs: 10_000, intervalMs: 50, description: `key version ${version} to reach the caches` };
  await Promise.all([waitUntil(sees(workerCodec.provider), opts), waitUntil(sees(clientCodec.provider), opts)]);
  return version;
}

/** Every payload of a run's history, with where it was found. */
async function historyPayloads(workflowId: string) {
  const events = await fetchHistoryEvents(clients.rawClient, workflowId);
  const started = eventAttributes(events, 'workflowExecutionStartedEventAttributes');
  return {
    all: collectPayloads(events),
    input: started.input!.payloads![0] as Payload,
    activityInput: eventAttributes(events, 'activityTaskScheduledEventAttributes').input!.payloads![0] as Payload,
    signal: eventAttributes(events, 'workflowExecutionSignaledEventAttributes').input!.payloads![0] as Payload,
    result: eventAttributes(events, 'workflowExecutionCompletedEventAttributes').result!.payloads![0] as Payload,
  };
}

beforeAll(async () => {
  await admin.store.createKey('default');
  const [started, workflowBundle] = await Promise.all([startTemporalDevServer(), bundleExampleWorkflows()]);
  server = started;
  clientCodec = exampleCodec();
  workerCodec = exampleCodec();
  clients = await connectClients(server.address, server.namespace, clientCodec.codec);
  worker = await startWorker({
    address: server.address,
    namespace: server.namespace,
    taskQueue: TASK_QUEUE,
    codec: workerCodec.codec,
    workflowBundle,
  });
});

afterAll(async () => {
  await worker?.stop();
  await clients?.close();
  await Promise.all(codecs.map((c) => c.close()));
  await admin.provider.close();
  await server?.stop();
});

describe('key rotation with workflows in flight', () => {
  it(
    'completes 200 workflows across a rotation; each payload names the version it was sealed with, and all decode',
    async () => {
      const batch = (label: string) =>
        Array.from({ length: 100 }, (_, i) => markedOrder(`${label}-${String(i).padStart(3, '0')}`));
      const before = batch('before');
      const after = batch('after');
      const start = (orders: typeof before) =>
        Promise.all(orders.map(({ order }) => startOrder(clients.client, order, { taskQueue: TASK_QUEUE })));

      // The first hundred start under version 1 and are still running (waiting for approval) when the key rotates.
      const firstHandles = await start(before);
      const newVersion = await rotate();
      expect(newVersion).toBe(2);
      const secondHandles = await start(after);
      const everyone = [...before, ...after];
      const handles = [...firstHandles, ...secondHandles];
      await Promise.all(handles.map((handle, i) => handle.signal(approveOrder, everyone[i]!.approval)));
      const receipts: OrderReceipt[] = await Promise.all(handles.map((handle) => handle.result()));

      expect(receipts).toHaveLength(200);
      receipts.forEach((receipt, i) => {
        expect(receipt).toMatchObject({
          orderId: everyone[i]!.order.orderId,
          approvedBy: everyone[i]!.approval.approver,
        });
      });

      const histories = await Promise.all(handles.map((handle) => historyPayloads(handle.workflowId)));
      const versions = { input: new Set<number>(), activityInput: new Set<number>() };
      histories.forEach((history, i) => {
        const sealedBefore = i < 100;
        expect(keyVersionOf(history.input)).toBe(sealedBefore ? 1 : 2);
        // Everything written after the rotation reached the caches uses the new version.
        expect(keyVersionOf(history.signal)).toBe(2);
        expect(keyVersionOf(history.result)).toBe(2);
        // A first-batch activity may have been scheduled before or after the rotation: either version is right.
        versions.activityInput.add(keyVersionOf(history.activityInput));
        versions.input.add(keyVersionOf(history.input));
      });
      expect([...versions.input].sort()).toEqual([1, 2]);
      expect([...versions.activityInput].every((v) => v === 1 || v === 2)).toBe(true);

      // A cold codec (nothing cached) decodes every payload of every history, each under the version it names.
      const cold = new EncryptionCodec({ namespace: 'default', keyProvider: exampleCodec().provider });
      const decodedInputs = await cold.decode(histories.map((h) => h.input));
      expect(decodedInputs.map((p) => JSON.parse(payloadText(p)) as Order)).toEqual(everyone.map((e) => e.order));
      const all = histories.flatMap((h) => h.all);
      expect(all.length).toBeGreaterThanOrEqual(200 * 5);
      await expect(cold.decode(all)).resolves.toHaveLength(all.length);
    },
    ROTATION_RUN_TIMEOUT_MS,
  );

  it('runs a schedule created before a rotation with its input decoded (schedule triggered after the rotation)', async () => {
    const { order, approval } = markedOrder();
    const versionAtCreation = (await clientCodec.provider.encryptionKey(scope('default'), 1)).version;
    const handle = await clients.client.schedule.create({
      scheduleId: `schedule-${order.orderId}`,
      // Paused with a yearly interval: it only ever fires when triggered.
      spec: { intervals: [{ every: '365 days' }] },
      state: { paused: true },
      action: {
        type: 'startWorkflow',
        workflowType: processOrder,
        args: [order],
        taskQueue: TASK_QUEUE,
        workflowId: `scheduled-${order.orderId}`,
        memo: { source: `schedule for ${order.customer}` },
      },
    });
    try {
      // What the server stores for the schedule's action is sealed with the version current at creation.
      const raw = await clients.rawClient.workflowService.describeSchedule({
        namespace: server.namespace,
        scheduleId: handle.scheduleId,
      });
      const storedInput = raw.schedule?.action?.startWorkflow?.input?.payloads?.[0] as Payload;
      expect(keyVersionOf(storedInput)).toBe(versionAtCreation);
      expect(payloadText(storedInput)).not.toContain(order.customer);

      const rotatedTo = await rotate();
      expect(rotatedTo).toBeGreaterThan(versionAtCreation);
      await handle.trigger();
      const workflowId = await waitUntil(
        async () => {
          const [action] = (await handle.describe()).info.recentActions;
          return action?.action.workflow.workflowId;
        },
        { timeoutMs: 30_000, intervalMs: 100, description: 'the triggered schedule to start a run' },
      );
      const run = clients.client.workflow.getHandle<typeof processOrder>(workflowId);
      await run.signal(approveOrder, approval);
      const receipt = await run.result();
      expect(receipt).toMatchObject({
        orderId: order.orderId,
        customer: order.customer,
        approvedBy: approval.approver,
      });

      const history = await historyPayloads(workflowId);
      expect(keyVersionOf(history.input)).toBe(versionAtCreation);
      expect(keyVersionOf(history.result)).toBe(rotatedTo);
      const described = await run.describe();
      expect(described.memo).toEqual({ source: `schedule for ${order.customer}` });
    } finally {
      await handle.delete();
    }
  });
});
