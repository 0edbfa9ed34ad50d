import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { RunningServer } from '../../codec-server/index.js';
import { ENCRYPTED_ENCODING, EncryptionCodec, METADATA_KEYS } from '../../codec/index.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec, type ExampleCodec } from '../../worker-example/create-codec.js';
import { DECLINED_TEST_CARD } from '../../worker-example/fake-payment-gateway.js';
import { FAILURE_TYPES } from '../../worker-example/model.js';
import { runOrder, startOrder } from '../../worker-example/client.js';
import { bundleExampleWorkflows } from '../../worker-example/worker.js';
import { orderStatus } from '../../worker-example/workflows.js';
import { waitUntil } from '../../harness/managed-process.js';
import { runTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  collectPayloads,
  connectClients,
  decodeWithCodecServer,
  eventAttributes,
  fetchHistoryEvents,
  historyBytes,
  keyVersionOf,
  markedOrder,
  metadataText,
  payloadText,
  plaintextFound,
  startCodecServer,
  startWorker,
  type HistoryEvent,
  type RunningWorker,
  type TestClients,
} from '../support/temporal-fixtures.js';
import { kvProvider, uniquePrefix } from '../support/vault-fixtures.js';

// The example worker and client on a real dev server, with keys in Vault KV (the shared OpenBao, a prefix of our own).
const TASK_QUEUE = 'worker-example-e2e';
const vault = inject('vault');
const keyPrefix = uniquePrefix('worker-example');

let server: TemporalDevServer;
let codecs: ExampleCodec[] = [];
let clients: TestClients;
let worker: RunningWorker;
let codecServer: RunningServer;

function exampleCodec(): ExampleCodec {
  const config = loadExampleConfig({
    KEY_SOURCE: 'vault-kv',
    VAULT_ADDR: vault.addr,
    VAULT_TOKEN: vault.token,
    VAULT_KEY_PREFIX: keyPrefix,
    TEMPORAL_NAMESPACE: 'default',
  });
  const made = createCodec(config);
  codecs.push(made);
  return made;
}

beforeAll(async () => {
  const admin = kvProvider(vault, { pathPrefix: keyPrefix });
  await admin.store.createKey('default');
  await admin.provider.close();
  const [started, workflowBundle] = await Promise.all([startTemporalDevServer(), bundleExampleWorkflows()]);
  server = started;
  clients = await connectClients(server.address, server.namespace, exampleCodec().codec);
  codecServer = await startCodecServer(
    { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token, VAULT_KEY_PREFIX: keyPrefix },
    ['--port', '0'],
  );
  worker = await startWorker({
    address: server.address,
    namespace: server.namespace,
    taskQueue: TASK_QUEUE,
    codec: exampleCodec().codec,
    workflowBundle,
  });
});

afterAll(async () => {
  await worker?.stop();
  await codecServer?.shutdown(0);
  await clients?.close();
  await Promise.all(codecs.map((c) => c.close()));
  codecs = [];
  await server?.stop();
});

describe('worker-example on a real Temporal dev server', () => {
  describe('a completed order', () => {
    const { order, approval, markers } = markedOrder();
    let run: Awaited<ReturnType<typeof runOrder>>;
    let events: HistoryEvent[];

    beforeAll(async () => {
      run = await runOrder(clients.client, order, approval, {
        taskQueue: TASK_QUEUE,
        memo: { note: `memo ${order.customer}` },
      });
      events = await fetchHistoryEvents(clients.rawClient, run.workflowId, run.runId);
    });

    it('gives the client back the decrypted result, the signal effect and the query answer', () => {
      expect(run.receipt).toMatchObject({
        orderId: order.orderId,
        customer: order.customer,
        amountCents: 2 * 1999,
        cardLast4: '1111',
        approvedBy: approval.approver,
        approvalNote: approval.note,
      });
      expect(run.finalStatus).toEqual({
        stage: 'completed',
        customer: order.customer,
        chargeId: run.receipt.chargeId,
        approver: approval.approver,
      });
    });

    it('stores no plaintext of the input, activity argument, activity result, signal, memo or result', () => {
      const bytes = historyBytes(events);
      expect(plaintextFound(bytes, [...markers, `memo ${order.customer}`, run.receipt.chargeId])).toEqual([]);
      // Control: the search does find plaintext the server keeps in the clear, so an empty result above means something.
      expect(plaintextFound(bytes, [run.workflowId, TASK_QUEUE])).toEqual([run.workflowId, TASK_QUEUE]);
    });

    it('writes every payload of the history encrypted, naming its key id and version', () => {
      const payloads = collectPayloads(events);
      // input, activity input, activity result, signal, memo, result
      expect(payloads.length).toBeGreaterThanOrEqual(6);
      for (const payload of payloads) {
        const metadata = metadataText(payload);
        expect(metadata.encoding).toBe(ENCRYPTED_ENCODING);
        expect(metadata[METADATA_KEYS.keyId]).toBe('default');
        expect(keyVersionOf(payload)).toBe(1);
        expect(Object.keys(metadata).sort()).toEqual(
          ['encoding', METADATA_KEYS.format, METADATA_KEYS.keyId, METADATA_KEYS.keyVersion].sort(),
        );
      }
    });

    it('decodes every payload of the history back to the values that were sent', async () => {
      const decoder = new EncryptionCodec({ namespace: 'default', keyProvider: exampleCodec().provider });
      const decoded = (await decoder.decode(collectPayloads(events))).map(payloadText).join('\n');
      for (const marker of [...markers, `memo ${order.customer}`, run.receipt.chargeId])
        expect(decoded).toContain(marker);
    });

    it('stores the memo encrypted, and the codec server decodes it', async () => {
      const memo = eventAttributes(events, 'workflowExecutionStartedEventAttributes').memo?.fields?.note as Payload;
      expect(keyVersionOf(memo)).toBe(1);
      const answer = await decodeWithCodecServer(codecServer.url, 'default', [memo]);
      expect(answer).toMatchObject({ status: 200, decodeErrors: null });
      expect(metadataText(answer.payloads[0]!).encoding).toBe('json/plain');
      expect(JSON.parse(payloadText(answer.payloads[0]!))).toBe(`memo ${order.customer}`);
    });

    it('sends query answers encrypted as well', async () => {
      const response = await clients.rawClient.workflowService.queryWorkflow({
        namespace: server.namespace,
        execution: { workflowId: run.workflowId, runId: run.runId },
        query: { queryType: orderStatus.name },
      });
      const [answer] = response.queryResult?.payloads ?? [];
      expect(answer).toBeDefined();
      expect(keyVersionOf(answer as Payload)).toBe(1);
      expect(plaintextFound(answer!.data!, [order.customer, approval.approver])).toEqual([]);
    });
  });

  describe('a forged plaintext signal (written without the codec, as whoever controls the cluster could)', () => {
    it('never reaches workflow code: its workflow task fails and is retried, other workflows complete', async () => {
      const { order } = markedOrder();
      const handle = await startOrder(clients.client, order, { taskQueue: TASK_QUEUE });
      await waitUntil(
        async () => ((await handle.query(orderStatus)).stage === 'awaiting-approval' ? true : undefined),
        {
          timeoutMs: 20_000,
          intervalMs: 100,
          description: 'the order to await approval',
        },
      );
      const forged = await runTemporalCli([
        'workflow',
        'signal',
        '--address',
        server.address,
        '--namespace',
        server.namespace,
        '--workflow-id',
        handle.workflowId,
        '--name',
        'approveOrder',
        '--input',
        JSON.stringify({ approver: 'forger', note: 'plaintext written into history' }),
      ]);
      expect(forged.code, forged.stderr).toBe(0);

      // The worker's codec refuses the plaintext signal: the task fails (recorded once) and Temporal retries it.
      const failed = await waitUntil(
        async () => {
          const events = await fetchHistoryEvents(clients.rawClient, handle.workflowId);
          return events.find((event) => event.workflowTaskFailedEventAttributes != null);
        },
        { timeoutMs: 30_000, intervalMs: 200, description: 'a failed workflow task' },
      );
      const failure = failed.workflowTaskFailedEventAttributes!.failure!;
      const [attributes] = await codecs[0]!.codec.decode([failure.encodedAttributes as Payload]);
      expect((JSON.parse(payloadText(attributes!)) as { message: string }).message).toMatch(/not encrypted/);
      await waitUntil(
        async () => {
          const described = await clients.rawClient.workflow.getHandle(handle.workflowId).describe();
          return (described.raw.pendingWorkflowTask?.attempt ?? 0) >= 2 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, description: 'the failed workflow task to be retried' },
      );
      const events = await fetchHistoryEvents(clients.rawClient, handle.workflowId);
      expect(events.some((event) => event.workflowExecutionCompletedEventAttributes != null)).toBe(false);

      // Nothing else breaks: another order on the same worker completes.
      const other = markedOrder();
      const run = await runOrder(clients.client, other.order, other.approval, { taskQueue: TASK_QUEUE });
      expect(run.receipt.approvedBy).toBe(other.approval.approver);
      await handle.terminate('forged signal');
    });
  });

  describe('a declined order', () => {
    const { order: base, markers } = markedOrder();
    const order = { ...base, cardNumber: DECLINED_TEST_CARD };
    let error: unknown;
    let events: HistoryEvent[];
    let workflowId: string;

    beforeAll(async () => {
      const handle = await startOrder(clients.client, order, { taskQueue: TASK_QUEUE });
      workflowId = handle.workflowId;
      error = await handle.result().catch((e: unknown) => e);
      events = await fetchHistoryEvents(clients.rawClient, workflowId);
    });

    it('fails the workflow with the decrypted messages for a client that has the codec', () => {
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const failure = (error as WorkflowFailedError).cause;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe(FAILURE_TYPES.orderDeclined);
      expect(failure?.message).toBe(`Order ${order.orderId} for ${order.customer} was declined`);
      const activityFailure = (failure as ApplicationFailure).cause;
      expect(activityFailure).toBeInstanceOf(ActivityFailure);
      const declined = (activityFailure as ActivityFailure).cause;
      expect(declined).toBeInstanceOf(ApplicationFailure);
      expect((declined as ApplicationFailure).type).toBe(FAILURE_TYPES.cardDeclined);
      expect(declined?.message).toBe(`Card ending 0002 declined for ${order.customer}`);
      expect(declined?.stack).toContain('fake-payment-gateway');
    });

    it('stores failure messages and stack traces only as encrypted attributes', () => {
      const failed = eventAttributes(events, 'workflowExecutionFailedEventAttributes').failure!;
      const activityFailed = eventAttributes(events, 'activityTaskFailedEventAttributes').failure!;
      for (const failure of [failed, failed.cause!, failed.cause!.cause!, activityFailed]) {
        expect(failure.message).toBe('Encoded failure');
        expect(failure.stackTrace ?? '').toBe('');
        expect(keyVersionOf(failure.encodedAttributes as Payload)).toBe(1);
      }
      expect(
        plaintextFound(historyBytes(events), [...markers.slice(0, 1), 'declined', 'fake-payment-gateway']),
      ).toEqual([]);
      // Failure types stay readable: the SDK keeps them outside the encoded attributes.
      expect(failed.applicationFailureInfo?.type).toBe(FAILURE_TYPES.orderDeclined);
      expect(temporal.api.enums.v1.EventType[events.at(-1)!.eventType!]).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
    });

    it('has the codec server decode the encoded failure attributes back to message and stack trace', async () => {
      const failed = eventAttributes(events, 'workflowExecutionFailedEventAttributes').failure!;
      const declined = failed.cause!.cause!;
      const encoded = [failed.encodedAttributes, declined.encodedAttributes] as Payload[];
      const answer = await decodeWithCodecServer(codecServer.url, 'default', encoded);
      expect(answer).toMatchObject({ status: 200, decodeErrors: null });
      const [workflowAttributes, activityAttributes] = answer.payloads.map(
        (p) => JSON.parse(payloadText(p)) as { message: string; stack_trace: string },
      );
      expect(workflowAttributes?.message).toBe(`Order ${order.orderId} for ${order.customer} was declined`);
      expect(workflowAttributes?.stack_trace).toMatch(/worker-example\/workflows\.ts/);
      expect(activityAttributes?.message).toBe(`Card ending 0002 declined for ${order.customer}`);
      expect(activityAttributes?.stack_trace).toContain('fake-payment-gateway');
    });
  });
});
