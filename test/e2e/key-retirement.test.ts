import { randomUUID } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_ERROR_CODES } from '../../admin/admin-error.js';
import type { SourceOptions } from '../../admin/cli-options.js';
import { EXIT_CODES } from '../../admin/exit-codes.js';
import type { RetirePlan } from '../../admin/retire/retire-plan.js';
import { reencryptOne, type ReencryptResult } from '../../admin/schedules/reencrypt-command.js';
import { readSchedule, resealSnapshot, updateSchedule } from '../../admin/schedules/reencrypt-schedule.js';
import { openCodec } from '../../admin/schedules/open-codec.js';
import { connectTemporal } from '../../admin/temporal/connect-temporal.js';
import type { UsageResult, UsageRow } from '../../admin/usage/usage-command.js';
import { EncryptionCodec, ERROR_CODES, type KeyProvider } from '../../codec/index.js';
import type { RunningServer } from '../../codec-server/index.js';
import { startOrder } from '../../worker-example/client.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec, type ExampleCodec } from '../../worker-example/create-codec.js';
import { DECLINED_TEST_CARD } from '../../worker-example/fake-payment-gateway.js';
import type { Order } from '../../worker-example/model.js';
import { bundleExampleWorkflows } from '../../worker-example/worker.js';
import { approveOrder, orderStatus, processOrder } from '../../worker-example/workflows.js';
import { runAdmin } from '../support/admin-cli.js';
import {
  directUsage,
  pageText,
  scheduleVersions,
  shownFailures,
  untilVisible,
} from '../support/retirement-fixtures.js';
import { launchChromium } from '../support/browser.js';
import { freePort } from '../../harness/free-port.js';
import { waitUntil } from '../../harness/managed-process.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  connectClients,
  decodeWithCodecServer,
  eventAttributes,
  fetchHistoryEvents,
  keyVersionOf,
  markedOrder,
  payloadText,
  startCodecServer,
  startWorker,
  type RunningWorker,
  type TestClients,
} from '../support/temporal-fixtures.js';
import { kvProvider, uniquePrefix } from '../support/vault-fixtures.js';

// The whole retirement of a key version on a real dev server (with its Web UI), OpenBao KV and the example worker:
// who still needs version 1 (keys usage, checked against a direct scan), destroy refused while a v1 workflow is open,
// schedules re-encrypted, destroy allowed once nothing open needs v1, crypto-shredding reported as such, and a v1
// failure decoding in the CLI and the UI until then. The tests run in order and share the namespace's state.
const TASK_QUEUE = 'key-retirement-e2e';
const NS = 'default';
const vault = inject('vault');
const keyPrefix = uniquePrefix('retire');
const vaultEnv = { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token };
const codecEnv = { ...vaultEnv, VAULT_KEY_PREFIX: keyPrefix };

let server: TemporalDevServer;
let codecPort: number;
let codecServer: RunningServer | undefined;
let browser: Browser;
let clients: TestClients;
let worker: RunningWorker;
let clientCodec: ExampleCodec;
let workerCodec: ExampleCodec;
const codecs: ExampleCodec[] = [];

interface Run {
  readonly workflowId: string;
  readonly runId: string;
  readonly order: Order;
}
type RunName = 'openV1' | 'closedV1' | 'failedV1' | 'openV2' | 'closedV2';
/** Filled in by beforeAll. */
const runs = {} as Record<RunName, Run>;
let openV1Handle: WorkflowHandle<typeof processOrder>;
const schedules = { main: 'retire-schedule-main', memo: 'retire-schedule-memo', raced: 'retire-schedule-raced' };
const scheduledOrder = markedOrder('scheduled');

function exampleCodec(): ExampleCodec {
  const made = createCodec(loadExampleConfig({ ...codecEnv, KEY_LATEST_TTL_MS: '300' }));
  codecs.push(made);
  return made;
}

/** `temporal-codec` on the test's key (Vault KV) and namespace; `temporal` adds the dev server's address. */
function admin(args: string[], options: { temporal?: boolean } = {}) {
  const temporal = options.temporal === false ? [] : ['--temporal-address', server.address];
  return runAdmin([...args, '-n', NS, '--source', 'vault-kv', '--vault-key-prefix', keyPrefix, ...temporal], vaultEnv);
}

/** Rotates with the CLI and waits until the worker and the client both seal with the new version. */
async function rotate(): Promise<number> {
  const rotated = await admin(['keys', 'rotate', '--json'], { temporal: false });
  expect(rotated.code, rotated.stderr).toBe(EXIT_CODES.ok);
  const { version } = rotated.json<{ version: { version: number } }>().version;
  const sees = (provider: KeyProvider) => async () =>
    (await provider.encryptionKey({ namespace: NS, keyId: NS }, 1)).version === version ? true : undefined;
  const opts = { timeoutMs: 10_000, intervalMs: 50, description: `key version ${version} to reach the caches` };
  await Promise.all([waitUntil(sees(workerCodec.provider), opts), waitUntil(sees(clientCodec.provider), opts)]);
  return version;
}

/** Starts an order and waits until it is charged and waiting for approval (its history then stays as it is). */
async function openOrder(label: string): Promise<{ run: Run; handle: WorkflowHandle<typeof processOrder> }> {
  const { order } = markedOrder(label);
  const handle = await startOrder(clients.client, order, { taskQueue: TASK_QUEUE, memo: { customer: order.customer } });
  await waitUntil(async () => ((await handle.query(orderStatus)).stage === 'awaiting-approval' ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 100,
    description: `${label} to wait for approval`,
  });
  return { run: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, order }, handle };
}

async function closedOrder(label: string, card?: string): Promise<Run> {
  const marked = markedOrder(label);
  const order = card === undefined ? marked.order : { ...marked.order, cardNumber: card };
  const handle = await startOrder(clients.client, order, { taskQueue: TASK_QUEUE });
  if (card === undefined) await handle.signal(approveOrder, marked.approval);
  await handle.result().catch(() => undefined);
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, order };
}

const counted = (row: UsageRow, category: 'open' | 'closed' | 'schedules') => ({
  subjects: row[category]?.subjects ?? 0,
  payloads: row[category]?.payloads ?? 0,
});

function createSchedule(scheduleId: string, memo?: Record<string, unknown>) {
  return clients.client.schedule.create({
    scheduleId,
    // Paused with a yearly interval: it only ever fires when triggered.
    spec: { intervals: [{ every: '365 days' }] },
    state: { paused: true },
    action: {
      type: 'startWorkflow',
      workflowType: processOrder,
      args: [scheduledOrder.order],
      taskQueue: TASK_QUEUE,
      workflowId: `scheduled-${scheduleId}`,
      memo: { source: `schedule for ${scheduledOrder.order.customer}` },
    },
    ...(memo === undefined ? {} : { memo }),
  });
}

/** The failed v1 run's failures in `temporal workflow show --output json`, through the codec server or not. */
const failureTexts = (codec: boolean) =>
  shownFailures(server, runs.failedV1.workflowId, codec ? `http://127.0.0.1:${codecPort}` : undefined);

const uiText = (run: Run, waitFor: string) =>
  pageText(
    browser,
    `${server.uiUrl}/namespaces/${NS}/workflows/${run.workflowId}/${run.runId}/history`,
    waitFor,
    `key-retirement-${waitFor.replace(/\W+/g, '-')}.png`,
  );

const storedScheduleVersions = (scheduleId: string) => scheduleVersions(clients.rawClient, scheduleId);
const visible = (open: number, closed: number, scheduleCount: number) =>
  untilVisible(clients.rawClient, { open, closed, schedules: scheduleCount });

const startOwnCodecServer = () =>
  startCodecServer(codecEnv, ['--port', String(codecPort), '--cors-origins', server.uiUrl!]);

beforeAll(async () => {
  expect((await admin(['keys', 'create'], { temporal: false })).code).toBe(EXIT_CODES.ok);
  codecPort = await freePort();
  const [dev, workflowBundle, launched] = await Promise.all([
    startTemporalDevServer({ uiCodecEndpoint: `http://127.0.0.1:${codecPort}` }),
    bundleExampleWorkflows(),
    launchChromium(),
  ]);
  server = dev;
  browser = launched;
  codecServer = await startOwnCodecServer();
  clientCodec = exampleCodec();
  workerCodec = exampleCodec();
  clients = await connectClients(server.address, NS, clientCodec.codec);
  worker = await startWorker({
    address: server.address,
    namespace: NS,
    taskQueue: TASK_QUEUE,
    codec: workerCodec.codec,
    workflowBundle,
  });

  // Version 1: a workflow left open, one completed, one failed (message and stack trace sealed), two schedules.
  const openV1 = await openOrder('open-v1');
  runs.openV1 = openV1.run;
  openV1Handle = openV1.handle;
  runs.closedV1 = await closedOrder('closed-v1');
  runs.failedV1 = await closedOrder('failed-v1', DECLINED_TEST_CARD);
  await createSchedule(schedules.main);
  await createSchedule(schedules.memo, { owner: `memo of ${scheduledOrder.order.customer}` });
  await createSchedule(schedules.raced);
  expect(await rotate()).toBe(2);
  // Version 2: one open, one completed.
  runs.openV2 = (await openOrder('open-v2')).run;
  runs.closedV2 = await closedOrder('closed-v2');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await clients?.close();
  await codecServer?.shutdown(0);
  await Promise.all(codecs.map((c) => c.close()));
  await server?.stop();
});

describe('retiring key version 1 with Temporal as the judge', () => {
  it('keys usage reports, per version, exactly what a direct scan of every history and schedule finds', async () => {
    await visible(2, 3, 3);
    const result = await admin(['keys', 'usage', '--include-closed', '--json']);
    expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
    const usage = result.json<UsageResult>();
    const direct = await directUsage(clients.rawClient, {
      open: [runs.openV1, runs.openV2],
      closed: [runs.closedV1, runs.failedV1, runs.closedV2],
      schedules: Object.values(schedules),
    });
    expect(usage.rows.map((r) => [r.version, r.state])).toEqual([
      [1, 'active'],
      [2, 'active'],
    ]);
    for (const row of usage.rows) {
      const expected = direct.get(row.version)!;
      expect({
        open: counted(row, 'open'),
        closed: counted(row, 'closed'),
        schedules: counted(row, 'schedules'),
      }).toEqual(expected);
    }
    // Version 1: the open v1 run, the three schedules, two closed runs (the v2 completion's history has none).
    const v1 = usage.rows[0]!;
    expect([v1.open.subjects, v1.schedules.subjects, v1.closed?.subjects]).toEqual([1, 3, 2]);
    expect(v1.open.examples).toEqual([runs.openV1.workflowId]);
    expect(usage.report.totals).toMatchObject({
      open: { subjects: 2, unencryptedPayloads: 0, malformedPayloads: 0 },
      schedules: { subjects: 3 },
      closed: { subjects: 3, unencryptedPayloads: 0 },
    });
    // One history page per run; one describe per schedule.
    expect(usage.report.apiCalls).toMatchObject({ getWorkflowExecutionHistory: 5, describeSchedule: 3 });
    expect(usage.report.maxHistoryPagesPerRun).toBe(1);

    const table = (await admin(['keys', 'usage'])).stdout;
    expect(table).toMatch(/\ndefault\s+1\s+active\s+1\s+3\s+-\s+\d+\s+\d{4}-/);
  });

  it('refuses to destroy or deactivate version 1 while a v1 workflow is open and schedules need it, naming them', async () => {
    const destroy = await admin(['keys', 'destroy', '--version', '1', '--yes', '--json']);
    expect(destroy.code).toBe(EXIT_CODES.refused);
    const error = destroy.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe(ADMIN_ERROR_CODES.keyVersionInUse);
    expect(error.message).toContain(`1 open workflow (${runs.openV1.workflowId})`);
    expect(error.message).toContain('3 schedules');
    expect(error.message).toContain(schedules.main);
    const deactivate = await admin(['keys', 'deactivate', '--version', '1', '--json']);
    expect(deactivate.json<{ error: { code: string } }>().error.code).toBe(ADMIN_ERROR_CODES.keyVersionInUse);
    const dryRun = await admin(['keys', 'destroy', '--version', '1', '--dry-run']);
    expect(dryRun.stdout).toContain('Without --dry-run it would be refused.');
    const described = (await admin(['keys', 'describe', '--json'], { temporal: false })).json<{
      description: { versions: Array<{ state: string }> };
    }>();
    expect(described.description.versions.map((v) => v.state)).toEqual(['active', 'active']);
  });

  it('a v1 failure (message and stack trace) decodes after the rotation, in the CLI and in the Web UI', async () => {
    const { order } = runs.failedV1;
    const declined = `Order ${order.orderId} for ${order.customer} was declined`;
    const events = await fetchHistoryEvents(clients.rawClient, runs.failedV1.workflowId);
    const failure = eventAttributes(events, 'workflowExecutionFailedEventAttributes').failure!;
    expect(failure.message).toBe('Encoded failure');
    expect(keyVersionOf(failure.encodedAttributes as Payload)).toBe(1);

    // Workflow failure -> activity failure -> the gateway's failure: three sealed messages and stack traces.
    const decoded = await failureTexts(true);
    expect(decoded.encodings).toEqual(['json/plain', 'json/plain', 'json/plain']);
    const [workflowFailure, , gatewayFailure] = decoded.texts.map((t) => JSON.parse(t) as Record<string, string>);
    expect(workflowFailure?.message).toBe(declined);
    expect(workflowFailure?.stack_trace).toContain('worker-example/workflows.ts');
    expect(gatewayFailure?.message).toBe(`Card ending 0002 declined for ${order.customer}`);
    expect(gatewayFailure?.stack_trace).toContain('fake-payment-gateway');
    const raw = await failureTexts(false);
    expect(raw.encodings).toEqual(['binary/encrypted', 'binary/encrypted', 'binary/encrypted']);
    expect(raw.texts.join()).not.toContain(order.customer);

    // The UI decodes the failure's encoded attributes through the codec server: message and stack trace.
    const page = await uiText(runs.failedV1, declined);
    expect(page).toMatch(/"stack_trace": "ApplicationFailure: Order/);
    expect(page).toContain('worker-example/workflows.ts');
  });

  it('never overwrites a concurrent edit: an update with a stale conflict token is dropped, the next round keeps the edit', async () => {
    const access = await connectTemporal({ address: server.address, tls: false });
    const source: SourceOptions = {
      kind: 'vault-kv',
      addr: vault.addr,
      auth: { method: 'token', token: vault.token },
      mount: 'secret',
      pathPrefix: keyPrefix,
    };
    const opened = openCodec(source, NS, () => undefined);
    try {
      const service = access.workflowService;
      const current = await opened.currentKey();
      const snapshot = await readSchedule(service, NS, schedules.raced, current);
      // The concurrent edit comes from a client without the codec: an SDK client with it would re-seal the action's
      // payloads under the current version as a side effect of any edit.
      const raw = clients.rawClient.workflowService;
      const edited = await raw.describeSchedule({ namespace: NS, scheduleId: schedules.raced });
      await raw.updateSchedule({
        namespace: NS,
        scheduleId: schedules.raced,
        schedule: { ...edited.schedule, state: { ...edited.schedule?.state, notes: 'edited meanwhile' } },
        conflictToken: edited.conflictToken,
        requestId: randomUUID(),
      });
      const notes = async () =>
        (await raw.describeSchedule({ namespace: NS, scheduleId: schedules.raced })).schedule?.state?.notes;
      // Applied before the stale update is sent: schedules kept in a workflow coalesce updates that arrive in one
      // workflow task, and then only the last counts, whatever its token (docs/key-management.md).
      await waitUntil(async () => ((await notes()) === 'edited meanwhile' ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 50,
        description: 'the concurrent edit to be applied',
      });
      await resealSnapshot(snapshot, opened.codec, false);
      await updateSchedule(service, NS, snapshot);
      const outcome = await reencryptOne(service, opened.codec, {
        namespace: NS,
        scheduleId: schedules.raced,
        current,
        dryRun: false,
      });
      expect(outcome).toMatchObject({ outcome: 'reencrypted', payloads: 2, fromVersions: [1] });
      expect(await notes()).toBe('edited meanwhile');
      expect(await storedScheduleVersions(schedules.raced)).toEqual([2, 2]);
    } finally {
      await opened.close();
      await access.close();
    }
  });

  it('schedules reencrypt: --dry-run changes nothing, the run seals under v2, a second run finds nothing to do', async () => {
    const outcomesOf = (run: { json: <T>() => T }) =>
      Object.fromEntries(run.json<ReencryptResult>().schedules.map((s) => [s.scheduleId, s]));
    const dry = await admin(['schedules', 'reencrypt', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(EXIT_CODES.ok);
    expect(outcomesOf(dry)).toMatchObject({
      [schedules.main]: { outcome: 'would-reencrypt' },
      [schedules.memo]: { outcome: 'would-reencrypt' },
      [schedules.raced]: { outcome: 'current' },
    });
    expect(await storedScheduleVersions(schedules.main)).toEqual([1, 1]);

    const done = await admin(['schedules', 'reencrypt', '--json']);
    expect(done.code, done.stderr).toBe(EXIT_CODES.ok);
    const outcomes = outcomesOf(done);
    expect(outcomes[schedules.main]).toMatchObject({ outcome: 'reencrypted', payloads: 2, fromVersions: [1] });
    // This server keeps schedules in workflows and refuses memo updates: the schedule's own memo stays on v1.
    expect(outcomes[schedules.memo]).toMatchObject({ outcome: 'reencrypted', payloads: 2, memoPayloadsKept: 1 });
    expect(await storedScheduleVersions(schedules.main)).toEqual([2, 2]);

    const before = await clients.rawClient.workflowService.describeSchedule({
      namespace: NS,
      scheduleId: schedules.main,
    });
    const again = await admin(['schedules', 'reencrypt', '--json']);
    expect(again.json<ReencryptResult>().schedules.map((s) => s.outcome)).toEqual(['current', 'current', 'current']);
    const after = await clients.rawClient.workflowService.describeSchedule({
      namespace: NS,
      scheduleId: schedules.main,
    });
    expect(Buffer.from(after.conflictToken)).toEqual(Buffer.from(before.conflictToken));

    // The memo keeps version 1 needed; this schedule is not worth keeping it for.
    const usage = (await admin(['keys', 'usage', '--json'])).json<UsageResult>();
    expect(usage.rows[0]!.schedules.examples).toEqual([schedules.memo]);
    await clients.client.schedule.getHandle(schedules.memo).delete();
    await clients.client.schedule.getHandle(schedules.raced).delete();
  });

  it('destroys version 1 once nothing open needs it; the completed v1 history is then crypto-shredded', async () => {
    await openV1Handle.signal(approveOrder, { approver: 'Approver', note: 'late approval' });
    await openV1Handle.result();
    await visible(1, 4, 1);
    const plan = await admin(['keys', 'destroy', '--version', '1', '--dry-run', '--include-closed', '--json']);
    expect(plan.json<{ plan: RetirePlan }>().plan).toMatchObject({ proceeds: true, refusals: [] });
    expect(plan.stderr).toMatch(
      /warning: 3 closed workflows \([^)]*\) within the namespace's retention of 1d hold \d+ payloads/,
    );

    expect((await admin(['keys', 'deactivate', '--version', '1'])).code).toBe(EXIT_CODES.ok);
    const destroyed = await admin(['keys', 'destroy', '--version', '1', '--yes']);
    expect(destroyed.code, destroyed.stderr).toBe(EXIT_CODES.ok);
    expect(destroyed.stderr).toContain('closed workflows within the namespace');
    expect(destroyed.stdout).toContain(
      'Temporal: version 1 is named by 0 open workflows, 0 schedules, closed not read.',
    );

    const events = await fetchHistoryEvents(clients.rawClient, runs.closedV1.workflowId);
    const input = eventAttributes(events, 'workflowExecutionStartedEventAttributes').input!.payloads![0] as Payload;
    const cold = kvProvider(vault, { pathPrefix: keyPrefix });
    try {
      const [settled] = await new EncryptionCodec({ namespace: NS, keyProvider: cold.provider }).decodeSettled([input]);
      expect(settled).toMatchObject({ ok: false, error: { code: ERROR_CODES.keyVersionDestroyed } });
    } finally {
      await cold.provider.close();
    }
  });

  it('the re-encrypted schedule still fires after version 1 is destroyed, and its workflow gets the right input', async () => {
    const handle = clients.client.schedule.getHandle(schedules.main);
    await handle.trigger();
    const workflowId = await waitUntil(
      async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId,
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: 'the triggered schedule to start a run',
      },
    );
    const run = clients.client.workflow.getHandle<typeof processOrder>(workflowId);
    await run.signal(approveOrder, scheduledOrder.approval);
    expect(await run.result()).toMatchObject({
      orderId: scheduledOrder.order.orderId,
      customer: scheduledOrder.order.customer,
      approvedBy: scheduledOrder.approval.approver,
    });
    expect((await run.describe()).memo).toEqual({ source: `schedule for ${scheduledOrder.order.customer}` });
    await handle.delete();
  });

  it('once version 1 is destroyed, the v1 failure no longer decodes: the codec server says why, the CLI and the UI show ciphertext', async () => {
    // A fresh codec server: the running one keeps decrypted keys for minutes (docs/key-management.md).
    await codecServer?.shutdown(0);
    codecServer = await startOwnCodecServer();
    const { order } = runs.failedV1;
    const events = await fetchHistoryEvents(clients.rawClient, runs.failedV1.workflowId);
    const sealed = eventAttributes(events, 'workflowExecutionFailedEventAttributes').failure!
      .encodedAttributes as Payload;
    const answer = await decodeWithCodecServer(codecServer.url, NS, [sealed]);
    expect(answer.decodeErrors).toContain(ERROR_CODES.keyVersionDestroyed);
    expect(payloadText(answer.payloads[0]!)).not.toContain(order.customer);

    const shown = await failureTexts(true);
    expect(shown.encodings).toEqual(['binary/encrypted', 'binary/encrypted', 'binary/encrypted']);
    expect(shown.texts.join()).not.toContain(order.customer);
    const page = await uiText(runs.failedV1, 'Encoded failure');
    expect(page).not.toContain(order.customer);
    expect(page).not.toContain('stack_trace');
  });
});
