import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ERROR_CODES } from '../../codec/index.js';
import { startOrder } from '../../worker-example/client.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec, type ExampleCodec } from '../../worker-example/create-codec.js';
import type { OrderReceipt } from '../../worker-example/model.js';
import { bundleExampleWorkflows } from '../../worker-example/worker.js';
import { approveOrder, orderStatus, processOrder } from '../../worker-example/workflows.js';
import { waitUntil } from '../../harness/managed-process.js';
import { OpenBaoServer } from '../../harness/openbao-server.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  connectClients,
  fetchHistoryEvents,
  keyVersionOf,
  markedOrder,
  sdkLogs,
  startWorker,
  type RunningWorker,
  type TestClients,
} from '../support/temporal-fixtures.js';
import { kvProvider } from '../support/vault-fixtures.js';

// OpenBao dies (SIGKILL) while workflows run. This file has its own persistent OpenBao, because it kills and
// restarts it and the keys must survive that.
const COUNT = 20;
// ~15 s here, of which up to one workflow task timeout (10 s) is recovery after OpenBao is back.
const OUTAGE_RUN_TIMEOUT_MS = 120_000;

let vault: OpenBaoServer;
let server: TemporalDevServer;
let workflowBundle: WorkflowBundleWithSourceMap;
const codecs: ExampleCodec[] = [];
const connections: TestClients[] = [];
const workers: RunningWorker[] = [];

function exampleCodec(): ExampleCodec {
  const made = createCodec(
    loadExampleConfig({
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: vault.token,
      // Fail fast while OpenBao is down: one attempt of at most 1 s per request.
      VAULT_RETRIES: '0',
      VAULT_TIMEOUT_MS: '1000',
    }),
  );
  codecs.push(made);
  return made;
}

async function clientsWith(codec: ExampleCodec): Promise<TestClients> {
  const made = await connectClients(server.address, server.namespace, codec.codec);
  connections.push(made);
  return made;
}

async function workerOn(taskQueue: string, codec: ExampleCodec): Promise<RunningWorker> {
  const made = await startWorker({
    address: server.address,
    namespace: server.namespace,
    taskQueue,
    codec: codec.codec,
    workflowBundle,
  });
  workers.push(made);
  return made;
}

/** Counts the workflows of a task queue by status, e.g. `{ COMPLETED: 40 }`. */
async function statusCounts(clients: TestClients, taskQueue: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const execution of clients.rawClient.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    counts[execution.status.name] = (counts[execution.status.name] ?? 0) + 1;
  }
  return counts;
}

const canonical = (counts: Record<string, number>): string => JSON.stringify(Object.entries(counts).sort());

/**
 * Waits until the visibility store (eventually consistent) shows exactly `expected` for the task queue, and returns
 * it; on timeout the error names the last counts seen.
 */
async function expectStatusCounts(clients: TestClients, taskQueue: string, expected: Record<string, number>) {
  let last: Record<string, number> = {};
  const matches = async () => {
    last = await statusCounts(clients, taskQueue);
    return canonical(last) === canonical(expected) ? last : undefined;
  };
  await waitUntil(matches, {
    timeoutMs: 15_000,
    intervalMs: 200,
    description: `statuses ${JSON.stringify(expected)}`,
  }).catch(() => undefined);
  expect(last).toEqual(expected);
}

/** Waits until the server has retried the workflow's first task at least once (the failed attempts are not events). */
async function waitForRetriedWorkflowTask(clients: TestClients, workflowId: string): Promise<number> {
  return waitUntil(
    async () => {
      const { raw } = await clients.rawClient.workflow.getHandle(workflowId).describe();
      const attempt = raw.pendingWorkflowTask?.attempt ?? 0;
      return attempt >= 2 ? attempt : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: `a retried workflow task for ${workflowId}` },
  );
}

beforeAll(async () => {
  const [bao, dev, bundle] = await Promise.all([
    OpenBaoServer.startPersistent(),
    startTemporalDevServer(),
    bundleExampleWorkflows(),
  ]);
  vault = bao;
  server = dev;
  workflowBundle = bundle;
  await vault.enableSecretsEngine('secret', 'kv', { version: '2' });
  const admin = kvProvider({ addr: vault.addr, token: vault.token }, { pathPrefix: 'temporal-codec/' });
  await admin.store.createKey('default');
  await admin.provider.close();
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(connections.map((c) => c.close()));
  await Promise.all(codecs.map((c) => c.close()));
  await server?.stop();
  await vault?.stop({ signal: 'SIGKILL' });
});

describe('OpenBao outage while workflows run', () => {
  it(
    'keeps workflows with cached keys completing, retries workflow tasks that need an uncached key, fails and loses none',
    async () => {
      const taskQueue = 'outage-warm';
      const worker = await workerOn(taskQueue, exampleCodec());
      const clientV1 = await clientsWith(exampleCodec());

      // Group A starts while OpenBao is up. Once every order waits for approval, the worker has used (and cached) the
      // key for decoding and for encoding.
      const groupA = Array.from({ length: COUNT }, (_, i) => markedOrder(`a-${i}`));
      const handlesA = await Promise.all(groupA.map(({ order }) => startOrder(clientV1.client, order, { taskQueue })));
      for (const handle of handlesA) {
        await waitUntil(
          async () => ((await handle.query(orderStatus)).stage === 'awaiting-approval' ? true : undefined),
          { timeoutMs: 30_000, intervalMs: 100, description: `${handle.workflowId} to wait for approval` },
        );
      }

      // A rotation the worker has not seen: a second client seals with version 2, which the worker never fetched.
      const admin = kvProvider({ addr: vault.addr, token: vault.token }, { pathPrefix: 'temporal-codec/' });
      await admin.store.rotateKey('default');
      await admin.provider.close();
      const codecV2 = exampleCodec();
      await codecV2.warmUp();
      const clientV2 = await clientsWith(codecV2);

      await vault.halt({ signal: 'SIGKILL' });

      // Group B starts during the outage, approval included, with inputs the worker cannot decode yet.
      const groupB = Array.from({ length: COUNT }, (_, i) => markedOrder(`b-${i}`));
      const handlesB = await Promise.all(
        groupB.map(({ order, approval }) =>
          clientV2.client.workflow.signalWithStart(processOrder, {
            taskQueue,
            workflowId: `order-${order.orderId}`,
            args: [order],
            signal: approveOrder,
            signalArgs: [approval],
          }),
        ),
      );

      // Group A completes during the outage: the worker serves its keys from memory.
      await Promise.all(handlesA.map((handle, i) => handle.signal(approveOrder, groupA[i]!.approval)));
      const receiptsA: OrderReceipt[] = await Promise.all(handlesA.map((handle) => handle.result()));
      expect(receiptsA.map((r) => r.approvedBy)).toEqual(groupA.map((a) => a.approval.approver));
      expect(vault.running).toBe(false);

      // Group B: each first workflow task failed on the missing key and is being retried; nothing failed for good.
      for (const handle of handlesB) {
        expect(await waitForRetriedWorkflowTask(clientV2, handle.workflowId)).toBeGreaterThanOrEqual(2);
      }
      await expectStatusCounts(clientV2, taskQueue, { COMPLETED: COUNT, RUNNING: COUNT });
      expect(worker.worker.getState()).toBe('RUNNING');

      await vault.restart();

      const receiptsB = await Promise.all(handlesB.map((handle) => handle.result()));
      expect(receiptsB.map((r) => r.customer)).toEqual(groupB.map((b) => b.order.customer));
      await expectStatusCounts(clientV2, taskQueue, { COMPLETED: 2 * COUNT });
      // Group B's input was sealed with the version the worker could not fetch during the outage.
      const events = await fetchHistoryEvents(clientV2.rawClient, handlesB[0]!.workflowId);
      const started = events.find((e) => e.workflowExecutionStartedEventAttributes != null);
      expect(keyVersionOf(started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!)).toBe(2);
    },
    OUTAGE_RUN_TIMEOUT_MS,
  );

  it('stops a worker that has no key cached at its first failed workflow task (SDK behaviour); its workflow waits and completes later', async () => {
    const taskQueue = 'outage-cold';
    const clients = await clientsWith(exampleCodec());
    const { order, approval } = markedOrder('cold');
    // Sealed while OpenBao is up; the worker below has never fetched anything.
    const handle = await clients.client.workflow.signalWithStart(processOrder, {
      taskQueue,
      workflowId: `order-${order.orderId}`,
      // The crashed worker never answers the task it took; the server hands it out again after this timeout.
      workflowTaskTimeout: '2 seconds',
      args: [order],
      signal: approveOrder,
      signalArgs: [approval],
    });
    await vault.halt({ signal: 'SIGKILL' });

    const coldCodec = exampleCodec();
    // What the example's run-worker does first: fail at start-up instead.
    await expect(coldCodec.warmUp()).rejects.toMatchObject({ code: ERROR_CODES.keySourceUnavailable });

    // Started anyway: decoding the input fails (a retryable workflow task failure), and then the SDK encodes that
    // failure's message with the same codec (failure converter with encodeCommonAttributes). Without any key that
    // encode throws too, and the SDK treats an error while completing an activation as fatal for the worker.
    const cold = await workerOn(taskQueue, coldCodec);
    await expect(cold.running).rejects.toThrow();
    expect(cold.worker.getState()).toBe('FAILED');
    // run() rejects with a secondary IllegalStateError from the SDK's teardown; the cause is in the worker's log.
    const failure = sdkLogs.find((entry) => entry.message === 'Worker failed' && entry.meta?.taskQueue === taskQueue);
    expect(failure?.meta?.error).toMatchObject({ code: ERROR_CODES.keySourceUnavailable });
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await vault.restart();
    await workerOn(taskQueue, exampleCodec());
    await expect(handle.result()).resolves.toMatchObject({ customer: order.customer, approvedBy: approval.approver });
    await expectStatusCounts(clients, taskQueue, { COMPLETED: 1 });
  });
});
