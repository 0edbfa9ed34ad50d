import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ExternalStorage, type S3ExternalStorage } from '../../codec/storage/index.js';
import { payloadToJson, type JsonObject, type RunningServer } from '../../codec-server/index.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec, type ExampleCodec } from '../../worker-example/create-codec.js';
import { jsonPayload, sealAndStore, workflowTarget } from '../../harness/storage-fixtures.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { startCodecServer } from '../support/temporal-fixtures.js';

// The codec server's storage against S3Proxy (signatures checked, objects on disk), configured per namespace by a
// --storage-config file, with keys in a local keyring file that the writers below share.
let s3: S3Server;
let dir: string;
let server: RunningServer;
const codecs: ExampleCodec[] = [];
const writers: S3ExternalStorage[] = [];
const servers: RunningServer[] = [];

async function serve(argv: readonly string[]): Promise<string> {
  const running = await startCodecServer({}, ['--port', '0', '--keyring', join(dir, 'keyring.json'), ...argv]);
  servers.push(running);
  return running.url;
}

/** What a worker of `namespace` with the codec and external storage in `bucket` writes: references. */
async function store(namespace: string, bucket: string, values: unknown[]): Promise<JsonObject[]> {
  const codec = createCodec(
    loadExampleConfig({ TEMPORAL_NAMESPACE: namespace, KEYRING_PATH: join(dir, 'keyring.json') }),
  );
  codecs.push(codec);
  const writer = createS3ExternalStorage({
    bucket,
    endpoint: s3.endpoint,
    credentials: s3.credentials,
    payloadSizeThreshold: 0,
  });
  writers.push(writer);
  const references = await sealAndStore(
    codec.codec,
    writer.externalStorage,
    values.map(jsonPayload),
    workflowTarget(namespace),
  );
  return references.map((reference) => payloadToJson(reference));
}

async function post(url: string, path: string, namespace: string, payloads: unknown[]) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': namespace },
    body: JSON.stringify({ payloads }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { payloads?: Array<{ data?: string }>; error?: { code: string } },
  };
}

const value = (payload: { data?: string } | undefined) =>
  JSON.parse(Buffer.from(payload?.data ?? '', 'base64').toString()) as unknown;
const keyOf = (reference: JsonObject) =>
  (JSON.parse(Buffer.from(String(reference.data), 'base64').toString()) as { claimData: { key: string } }).claimData
    .key;

beforeAll(async () => {
  s3 = await startS3Server();
  await Promise.all([s3.createBucket('orders-payloads'), s3.createBucket('billing-payloads')]);
  Object.assign(process.env, s3.env);
  dir = mkdtempSync(join(tmpdir(), 'codec-storage-'));
  writeFileSync(
    join(dir, 'storage.json'),
    JSON.stringify({
      orders: { bucket: 'orders-payloads', endpoint: s3.endpoint },
      billing: { bucket: 'billing-payloads', endpoint: s3.endpoint },
    }),
  );
  const url = await serve(['--storage-config', join(dir, 'storage.json'), '--storage-max-blob', '64kb']);
  server = servers[0]!;
  expect(url).toBe(server.url);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.shutdown(0)));
  writers.forEach((w) => w.close());
  await Promise.all(codecs.map((c) => c.close()));
  await s3?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('codec server storage against an S3-compatible server', () => {
  it("downloads each namespace's references from its own bucket, and refuses another namespace's as foreign", async () => {
    const [orders] = await store('orders', 'orders-payloads', [{ order: 1 }]);
    const [billing] = await store('billing', 'billing-payloads', [{ invoice: 2 }]);
    const fromOrders = await post(server.url, '/download', 'orders', [orders]);
    expect([fromOrders.status, value(fromOrders.body.payloads?.[0])]).toEqual([200, { order: 1 }]);
    const fromBilling = await post(server.url, '/billing/download', 'billing', [billing]);
    expect([fromBilling.status, value(fromBilling.body.payloads?.[0])]).toEqual([200, { invoice: 2 }]);
    const crossed = await post(server.url, '/download', 'billing', [orders]);
    expect([crossed.status, crossed.body.error?.code]).toEqual([400, 'ERR_STORAGE_REFERENCE_FOREIGN']);
    const unconfigured = await post(server.url, '/download', 'default', [orders]);
    expect([unconfigured.status, unconfigured.body.error?.code]).toEqual([400, 'ERR_STORAGE_NOT_CONFIGURED']);
  });

  it('answers 410 for an object deleted from the bucket, 502 for one whose bytes were replaced', async () => {
    const [gone, replaced] = await store('orders', 'orders-payloads', ['to delete', 'to replace']);
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'orders-payloads', Key: keyOf(gone!) }));
    await s3.client.send(new PutObjectCommand({ Bucket: 'orders-payloads', Key: keyOf(replaced!), Body: 'forged' }));
    const missing = await post(server.url, '/download', 'orders', [gone]);
    expect([missing.status, missing.body.error?.code]).toEqual([410, 'ERR_STORAGE_OBJECT_NOT_FOUND']);
    const forged = await post(server.url, '/download', 'orders', [replaced]);
    expect([forged.status, forged.body.error?.code]).toEqual([502, 'ERR_STORAGE_INTEGRITY']);
  });

  it('refuses a blob over --storage-max-blob by the size the store announces, even when the reference understates it', async () => {
    const [big] = await store('orders', 'orders-payloads', ['x'.repeat(100 * 1024)]);
    const announced = await post(server.url, '/download', 'orders', [big]);
    expect([announced.status, announced.body.error?.code]).toEqual([413, 'ERR_STORAGE_BLOB_TOO_LARGE']);
    const understated = { ...big, externalPayloads: [{ sizeBytes: '10' }] };
    const read = await post(server.url, '/download', 'orders', [understated]);
    expect([read.status, read.body.error?.code]).toEqual([413, 'ERR_STORAGE_BLOB_TOO_LARGE']);
  });

  it('answers 502 ERR_STORAGE_REFUSED when the store rejects the credentials of the AWS default chain', async () => {
    const [reference] = await store('orders', 'orders-payloads', ['secret']);
    const good = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    try {
      const url = await serve(['--storage-bucket', 'orders-payloads', '--storage-endpoint', s3.endpoint]);
      const refused = await post(url, '/download', 'orders', [reference]);
      expect([refused.status, refused.body.error?.code]).toEqual([502, 'ERR_STORAGE_REFUSED']);
      expect(JSON.stringify(refused.body)).not.toContain(s3.credentials.accessKeyId);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = good;
    }
  });
});
