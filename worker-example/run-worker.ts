#!/usr/bin/env node
/**
 * Entry point: `npm run example:worker` (or `node dist/worker-example/run-worker.js`). Reads the environment once
 * (see `config.ts`), runs the example worker until SIGINT/SIGTERM, then releases the codec's keys.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadExampleConfig } from './config.js';
import { createCodec } from './create-codec.js';
import { createExampleStorage } from './create-storage.js';
import { createExampleWorker } from './worker.js';

async function main(): Promise<void> {
  const config = loadExampleConfig(process.env);
  const exampleCodec = createCodec(config);
  const storage = createExampleStorage(config);
  try {
    // Exits (non-zero) right away when the key source is unreachable, instead of crashing on the first failed task.
    await exampleCodec.warmUp();
    const connection = await NativeConnection.connect({ address: config.temporalAddress });
    try {
      const worker = await createExampleWorker({
        connection,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        codec: exampleCodec.codec,
        ...(storage === undefined ? {} : { externalStorage: storage.externalStorage }),
      });
      console.log(
        `example worker: polling task queue ${config.taskQueue} in namespace ${config.namespace} at ` +
          `${config.temporalAddress} (keys: ${config.keySource.kind}; external storage: ` +
          `${config.storage === undefined ? 'off' : `s3 bucket ${config.storage.bucket}`})`,
      );
      // The SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown, after which run() resolves.
      await worker.run();
    } finally {
      await connection.close();
    }
  } finally {
    storage?.close();
    await exampleCodec.close();
  }
}

main().catch((err: unknown) => {
  console.error('example worker failed:', err);
  process.exit(1);
});
