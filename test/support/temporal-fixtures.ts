import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { ExternalStorage, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import type { LogEntry, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { METADATA_KEYS, ENCRYPTED_ENCODING } from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { createExampleClient } from '../../worker-example/client.js';
import type { Approval, Order } from '../../worker-example/model.js';
import { createExampleWorker, type ExampleWorkerOptions } from '../../worker-example/worker.js';

/** A history event as the frontend returns it (no codec applied). */
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Log entries of the SDK's TypeScript side, recorded by {@link installQuietRuntime}. */
export const sdkLogs: LogEntry[] = [];
let runtimeInstalled = false;

/**
 * Installs the SDK runtime (once per test process) with a logger that records WARN and above in {@link sdkLogs}
 * instead of printing them: the fault tests provoke hundreds of expected errors (failed workflow tasks), and the
 * worker's own logs carry decrypted failure messages. `TEMPORAL_TEST_LOGS=1` prints them as well.
 */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  const print = process.env.TEMPORAL_TEST_LOGS === '1';
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      sdkLogs.push(entry);
      if (print) console.error(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
    }),
    // Core's own logs ("Failing workflow task ...") go through the same logger instead of straight to stderr.
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) } },
  });
  runtimeInstalled = true;
}

/** A worker running in this process, see {@link startWorker}. */
export interface RunningWorker {
  readonly worker: Worker;
  /** Settles when `worker.run()` does: resolves after shutdown, rejects if the worker crashed. */
  readonly running: Promise<void>;
  /** Shuts the worker down, waits for it, and closes its connection. */
  stop(): Promise<void>;
}

/** Options of {@link startWorker}: those of the example worker, with an address instead of a connection. */
export interface StartWorkerOptions extends Omit<ExampleWorkerOptions, 'connection'> {
  readonly address: string;
  readonly workflowBundle: WorkflowBundleWithSourceMap;
}

/** Creates the example worker against `address` and runs it in the background. */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await createExampleWorker({ ...options, connection });
  const running = worker.run();
  // Observed here so a crash is never an unhandled rejection; tests await `running` to see it.
  running.catch(() => undefined);
  return {
    worker,
    running,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    },
  };
}

/** Two clients on one connection: one with the example's data converter, one with none ("what the server sees"). */
export interface TestClients {
  /** Encodes and decodes through the codec, like the example client. */
  readonly client: Client;
  /** No codec, no failure converter: reads exactly what the server stores. */
  readonly rawClient: Client;
  close(): Promise<void>;
}

/** Connects both clients of {@link TestClients}; `externalStorage` as the example client's, when given. */
export async function connectClients(
  address: string,
  namespace: string,
  codec: PayloadCodec,
  externalStorage?: ExternalStorage,
): Promise<TestClients> {
  const connection = await Connection.connect({ address });
  return {
    client: createExampleClient(connection, namespace, codec, externalStorage),
    rawClient: new Client({ connection, namespace }),
    close: () => connection.close(),
  };
}

/** Every event of a workflow run, fetched page by page through the raw gRPC service (nothing decoded). */
export async function fetchHistoryEvents(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      nextPageToken,
    });
    events.push(...(response.history?.events ?? []));
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken !== undefined);
  return events;
}

/** A history serialized as the server's protobuf, i.e. the bytes at rest that the plaintext search looks through. */
export function historyBytes(events: HistoryEvent[]): Buffer {
  return Buffer.from(temporal.api.history.v1.History.encode({ events }).finish());
}

/** The strings of `needles` that occur (as UTF-8) anywhere in `haystack`. */
export function plaintextFound(haystack: Uint8Array, needles: readonly string[]): string[] {
  const bytes = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  return needles.filter((needle) => bytes.includes(Buffer.from(needle, 'utf8')));
}

function isPayload(value: object): value is Payload {
  const metadata = (value as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return false;
  const entries = Object.values(metadata as Record<string, unknown>);
  return entries.length > 0 && entries.every((entry) => entry instanceof Uint8Array);
}

/**
 * Every `Payload` inside `message` (inputs, results, signals, memos, failure attributes, ...), found by walking the
 * decoded protobuf objects: anything with a `metadata` map of byte values is a payload.
 */
export function collectPayloads(message: unknown): Payload[] {
  const found: Payload[] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (isPayload(value)) {
      found.push(value);
      return;
    }
    Object.values(value).forEach(visit);
  };
  visit(message);
  return found;
}

const text = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array());

/** A payload's metadata as text, e.g. `{ encoding: 'binary/encrypted', 'encryption-key-version': '2', ... }`. */
export function metadataText(payload: Payload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, text(value)]));
}

/** The key version an encrypted payload names; throws for a payload that is not encrypted or names none. */
export function keyVersionOf(payload: Payload): number {
  const metadata = metadataText(payload);
  const version = metadata[METADATA_KEYS.keyVersion];
  if (metadata.encoding !== ENCRYPTED_ENCODING || version === undefined || !/^[1-9]\d*$/.test(version)) {
    throw new Error(`Not an encrypted payload with a key version: ${JSON.stringify(metadata)}`);
  }
  return Number(version);
}

/** The text of a decoded JSON payload's data. */
export function payloadText(payload: Payload): string {
  return text(payload.data);
}

/** The first event of the given type, e.g. `'workflowExecutionCompletedEventAttributes'`. */
export function eventAttributes<K extends keyof HistoryEvent>(
  events: HistoryEvent[],
  key: K,
): NonNullable<HistoryEvent[K]> {
  const event = events.find((e) => e[key] != null);
  if (event === undefined) throw new Error(`No event with ${String(key)} in the history`);
  return event[key] as NonNullable<HistoryEvent[K]>;
}

/**
 * An order whose every field is a unique marker string, so a test can look for each of them in raw history bytes.
 * `tag` is repeated in all markers to keep orders of one test apart.
 */
export function markedOrder(tag = randomUUID().slice(0, 8)): { order: Order; approval: Approval; markers: string[] } {
  const order: Order = {
    orderId: `order-${tag}`,
    customer: `Customer Grace Hopper ${tag}`,
    cardNumber: `4111 1111 ${tag.slice(0, 4)} 1111`,
    lines: [{ sku: `sku-cobol-compiler-${tag}`, quantity: 2, unitPriceCents: 1999 }],
  };
  const approval: Approval = { approver: `Approver Alan Turing ${tag}`, note: `Approval note enigma ${tag}` };
  return {
    order,
    approval,
    markers: [order.customer, order.cardNumber, order.lines[0]!.sku, approval.approver, approval.note],
  };
}

/**
 * Starts the codec server in this process, configured exactly as its command line would be (`loadConfig(env,
 * argv)`), with its JSON logs discarded.
 */
export async function startCodecServer(env: Record<string, string>, argv: readonly string[]): Promise<RunningServer> {
  const config = loadConfig(env, argv);
  const deps = await createServerDeps(config, { logDestination: { write: () => undefined } });
  return startServer({ deps });
}

interface PayloadJson {
  metadata?: Record<string, string>;
  data?: string;
}

/** A payload in the codec protocol's JSON form (bytes as base64). */
export function payloadToJson(payload: Payload): PayloadJson {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  );
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

/** The answer of a codec server's `POST /decode`, as the Web UI and the CLI send it. */
export interface CodecServerAnswer {
  readonly status: number;
  readonly payloads: Payload[];
  /** `X-Codec-Decode-Errors`, when some payloads could not be decoded. */
  readonly decodeErrors: string | null;
}

/** POSTs payloads to `<url>/decode` with `X-Namespace`, and returns the answer with the payloads as bytes again. */
export async function decodeWithCodecServer(
  url: string,
  namespace: string,
  payloads: Payload[],
): Promise<CodecServerAnswer> {
  const response = await fetch(`${url}/decode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': namespace },
    body: JSON.stringify({ payloads: payloads.map(payloadToJson) }),
  });
  const body = (await response.json()) as { payloads?: PayloadJson[] };
  const decoded = (body.payloads ?? []).map((json) => ({
    metadata: Object.fromEntries(
      Object.entries(json.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(json.data ?? '', 'base64'),
  }));
  return { status: response.status, payloads: decoded, decodeErrors: response.headers.get('x-codec-decode-errors') };
}
