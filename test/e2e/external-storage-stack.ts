import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { RunningServer } from '../../codec-server/index.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec, type ExampleCodec } from '../../worker-example/create-codec.js';
import { createExampleStorage } from '../../worker-example/create-storage.js';
import type { ScannedDocument } from '../../worker-example/model.js';
import { bundleExampleWorkflows } from '../../worker-example/worker.js';
import type { S3ExternalStorage } from '../../codec/storage/index.js';
import { freePort } from '../../harness/free-port.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  connectClients,
  startCodecServer,
  startWorker,
  type RunningWorker,
  type TestClients,
} from '../support/temporal-fixtures.js';
import { kvProvider, uniquePrefix } from '../support/vault-fixtures.js';

/** The bucket every external storage test object goes to. */
export const BUCKET = 'payloads-e2e';

/**
 * Everything of an encrypted external storage deployment on loopback: S3Proxy, a dev server whose Web UI points at
 * the codec server, the codec server with `--storage-bucket`, and a worker and client with `EXTERNAL_STORAGE=s3`.
 */
export interface StorageStack {
  readonly s3: S3Server;
  readonly dev: TemporalDevServer;
  readonly codecUrl: string;
  readonly clients: TestClients;
  /** Stops the codec server (to restart it with other flags). */
  codecServer: RunningServer | undefined;
  startCodecServer(extraArgv?: readonly string[]): Promise<void>;
  startWorker(taskQueue: string): Promise<RunningWorker>;
  stop(): Promise<void>;
}

/** A document whose pages are `mebibytes` MiB of text around a unique marker. */
export function bigDocument(
  mebibytes: number,
  tag = randomUUID().slice(0, 8),
): { document: ScannedDocument; marker: string } {
  const marker = `Confidential clause ${tag}`;
  const line = `${marker}: the party of the first part shall keep this page secret. `;
  const pages = line.repeat(Math.ceil((mebibytes * 1024 * 1024) / line.length));
  return { document: { documentId: `doc-${tag}`, customer: `Customer ${tag}`, pages }, marker };
}

/** Starts the stack; the S3 credentials go into this process's environment, where the AWS SDK's chain reads them. */
export async function startStorageStack(): Promise<StorageStack> {
  const vault = inject('vault');
  const keyPrefix = uniquePrefix('storage');
  const admin = kvProvider(vault, { pathPrefix: keyPrefix });
  await admin.store.createKey('default');
  await admin.provider.close();
  const codecPort = await freePort();
  const codecUrl = `http://127.0.0.1:${codecPort}`;
  const [s3, dev, workflowBundle] = await Promise.all([
    startS3Server(),
    startTemporalDevServer({ uiCodecEndpoint: codecUrl }),
    bundleExampleWorkflows(),
  ]);
  await s3.createBucket(BUCKET);
  Object.assign(process.env, s3.env, { AWS_REGION: 'us-east-1' });
  const env = {
    VAULT_ADDR: vault.addr,
    VAULT_TOKEN: vault.token,
    VAULT_KEY_PREFIX: keyPrefix,
    EXTERNAL_STORAGE: 's3',
    CODEC_STORAGE_BUCKET: BUCKET,
    CODEC_STORAGE_ENDPOINT: s3.endpoint,
  };
  const codecs: ExampleCodec[] = [];
  const storages: S3ExternalStorage[] = [];
  const workers: RunningWorker[] = [];
  const example = () => {
    const config = loadExampleConfig(env);
    const codec = createCodec(config);
    const storage = createExampleStorage(config)!;
    codecs.push(codec);
    storages.push(storage);
    return { codec: codec.codec, externalStorage: storage.externalStorage };
  };
  const clientSide = example();
  const clients = await connectClients(dev.address, dev.namespace, clientSide.codec, clientSide.externalStorage);
  const stack: StorageStack = {
    s3,
    dev,
    codecUrl,
    clients,
    codecServer: undefined,
    async startCodecServer(extraArgv = []) {
      await stack.codecServer?.shutdown(0);
      stack.codecServer = await startCodecServer(env, [
        '--port',
        String(codecPort),
        '--cors-origins',
        dev.uiUrl!,
        ...extraArgv,
      ]);
    },
    async startWorker(taskQueue) {
      const worker = await startWorker({
        address: dev.address,
        namespace: dev.namespace,
        taskQueue,
        workflowBundle,
        ...example(),
      });
      workers.push(worker);
      return worker;
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await clients.close();
      await stack.codecServer?.shutdown(0);
      await Promise.all(codecs.map((c) => c.close()));
      storages.forEach((s) => s.close());
      await dev.stop();
      await s3.stop();
    },
  };
  await stack.startCodecServer(['--storage-timeout-ms', '3000']);
  return stack;
}
