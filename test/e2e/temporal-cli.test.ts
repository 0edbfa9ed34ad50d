import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachingKeyProvider, EncryptionCodec, LocalKeyring, METADATA_KEYS } from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { runTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import type { greet } from '../fixtures/greet-workflow.js';
import { fetchHistoryEvents, historyBytes, installQuietRuntime, plaintextFound } from '../support/temporal-fixtures.js';

// The must-show: the real `temporal` CLI decoding and encoding through the codec server, with a real worker
// and client sharing the server's keys (a local keyring file, as separate processes would).
const TASK_QUEUE = 'codec-server-cli-e2e';
const WORKFLOWS = fileURLToPath(new URL('../fixtures/greet-workflow.ts', import.meta.url));
const CLI_TOKEN = `cli-${randomBytes(16).toString('hex')}`;
// Keeps a developer's own TEMPORAL_CODEC_* settings out of the runs that must go without a codec.
const CLI_ENV = { TEMPORAL_CODEC_ENDPOINT: '', TEMPORAL_CODEC_AUTH: '' };

let dir: string;
/** Log lines of the server in static auth mode, to see why the CLI's unauthenticated call failed. */
const authedLogs: string[] = [];
let temporal: TemporalDevServer;
let codecServer: RunningServer;
let authedServer: RunningServer;
let provider: CachingKeyProvider;
let connection: Connection;
let client: Client;
let rawClient: Client;
let worker: Worker;
let workerRun: Promise<void>;
let workerConnection: NativeConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codec-cli-e2e-'));
  const keyringPath = join(dir, 'keyring.json');
  // Created up front: several keyring instances creating the first key concurrently could each write their own.
  await new LocalKeyring({ path: keyringPath, warn: () => undefined }).createKey('default');
  const tokensFile = join(dir, 'tokens.json');
  await writeFile(tokensFile, JSON.stringify({ [CLI_TOKEN]: { subject: 'cli-user', permissions: ['default:admin'] } }));

  const silent = { write: () => undefined };
  const env = { KEYRING_PATH: keyringPath };
  const [started, plainDeps, authedDeps] = await Promise.all([
    startTemporalDevServer({ headless: true }),
    createServerDeps(loadConfig(env, ['--port', '0']), { logDestination: silent }),
    createServerDeps(loadConfig(env, ['--port', '0', '--auth', 'static', '--auth-tokens-file', tokensFile]), {
      logDestination: { write: (line: string) => void authedLogs.push(line) },
    }),
  ]);
  temporal = started;
  codecServer = await startServer({ deps: plainDeps });
  authedServer = await startServer({ deps: authedDeps });

  provider = new CachingKeyProvider(new LocalKeyring({ path: keyringPath, warn: () => undefined }));
  const codec = new EncryptionCodec({ namespace: 'default', keyProvider: provider });
  installQuietRuntime();
  workerConnection = await NativeConnection.connect({ address: temporal.address });
  worker = await Worker.create({
    connection: workerConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    workflowsPath: WORKFLOWS,
    dataConverter: { payloadCodecs: [codec] },
  });
  workerRun = worker.run();
  workerRun.catch(() => undefined);
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: 'default', dataConverter: { payloadCodecs: [codec] } });
  rawClient = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun?.catch(() => undefined);
  await workerConnection?.close();
  await connection?.close();
  await provider?.close();
  await Promise.all([codecServer?.shutdown(1000), authedServer?.shutdown(1000)]);
  await temporal?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  return runTemporalCli([...args, '--address', temporal.address, '--namespace', 'default'], { env: CLI_ENV });
}

/** Runs a workflow through the codec client and returns its plaintext marker. */
async function completedWorkflow(): Promise<{ workflowId: string; name: string }> {
  const name = `Zebulon-${randomBytes(6).toString('hex')}`;
  // The id must not contain the name: the raw output shows the id.
  const workflowId = `greet-${randomBytes(6).toString('hex')}`;
  const result = await client.workflow.execute<typeof greet>('greet', {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [name],
  });
  expect(result).toBe(`Hello, ${name}`);
  return { workflowId, name };
}

describe('temporal CLI through the codec server', () => {
  it('workflow show prints the plaintext input with --codec-endpoint, and not without it', async () => {
    const { workflowId, name } = await completedWorkflow();
    const decoded = await cli([
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--detailed',
      '--codec-endpoint',
      codecServer.url,
    ]);
    expect(decoded.code, decoded.stderr).toBe(0);
    expect(decoded.stdout).toContain(name);
    expect(decoded.stdout).toContain(`Hello, ${name}`);

    const raw = await cli(['workflow', 'show', '--workflow-id', workflowId, '--detailed']);
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stdout).not.toContain(name);
    const rawJson = await cli(['workflow', 'show', '--workflow-id', workflowId, '--output', 'json']);
    expect(rawJson.stdout).not.toContain(name);
    expect(rawJson.stdout).toContain(Buffer.from('binary/encrypted').toString('base64'));
  });

  it('workflow start --input goes through /encode: history holds ciphertext, the worker reads the plaintext', async () => {
    const workflowId = `cli-start-${randomBytes(6).toString('hex')}`;
    const started = await cli([
      'workflow',
      'start',
      '--type',
      'greet',
      '--task-queue',
      TASK_QUEUE,
      '--workflow-id',
      workflowId,
      '--input',
      '"Alice"',
      '--codec-endpoint',
      codecServer.url,
    ]);
    expect(started.code, started.stderr).toBe(0);
    expect(await client.workflow.getHandle(workflowId).result()).toBe('Hello, Alice');

    const events = await fetchHistoryEvents(rawClient, workflowId);
    const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(Buffer.from(input?.metadata?.[METADATA_KEYS.encoding] ?? []).toString()).toBe('binary/encrypted');
    expect(plaintextFound(historyBytes(events), ['Alice', 'Hello, Alice'])).toEqual([]);
  });

  it('--codec-auth "Bearer <token>" works against static auth, and the request fails without it', async () => {
    const { workflowId, name } = await completedWorkflow();
    const show = ['workflow', 'show', '--workflow-id', workflowId, '--detailed', '--codec-endpoint', authedServer.url];
    const authed = await cli([...show, '--codec-auth', `Bearer ${CLI_TOKEN}`]);
    expect(authed.code, authed.stderr).toBe(0);
    expect(authed.stdout).toContain(name);

    // The CLI retries a failed codec call until its deadline, so the command is given a short one.
    const refused = await cli([...show, '--command-timeout', '3s']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).not.toContain(name);
    const statuses = authedLogs.map((line) => JSON.parse(line) as { log?: string; status?: number });
    expect(statuses.filter((line) => line.log === 'audit').map((line) => line.status)).toContain(401);
  });

  it('--codec-header adds headers to codec requests (here the Authorization header itself)', async () => {
    const { workflowId, name } = await completedWorkflow();
    const viaHeader = await cli([
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--detailed',
      '--codec-endpoint',
      authedServer.url,
      '--codec-header',
      `Authorization=Bearer ${CLI_TOKEN}`,
    ]);
    expect(viaHeader.code, viaHeader.stderr).toBe(0);
    expect(viaHeader.stdout).toContain(name);
  });
});
