#!/usr/bin/env node
/**
 * Entry point: `npm run example:client` (or `node dist/worker-example/run-client.js`). Reads the environment once
 * (see `config.ts`), runs one order through the example workflow (start, signal, query, result) and prints what
 * came back, decrypted by the client's codec. With `EXTERNAL_STORAGE=s3` it also archives a 3 MiB scanned document,
 * which only fits through Temporal as a reference to its sealed copy in the bucket.
 */
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { createExampleClient, runArchive, runOrder } from './client.js';
import { loadExampleConfig } from './config.js';
import { createCodec } from './create-codec.js';
import { createExampleStorage } from './create-storage.js';

async function main(): Promise<void> {
  const config = loadExampleConfig(process.env);
  const exampleCodec = createCodec(config);
  const storage = createExampleStorage(config);
  try {
    const connection = await Connection.connect({ address: config.temporalAddress });
    try {
      const client = createExampleClient(connection, config.namespace, exampleCodec.codec, storage?.externalStorage);
      const run = await runOrder(
        client,
        {
          orderId: randomUUID(),
          customer: 'Ada Lovelace',
          cardNumber: '4242424242424242',
          lines: [{ sku: 'analytical-engine-manual', quantity: 1, unitPriceCents: 4200 }],
        },
        { approver: 'Charles Babbage', note: 'Ship with the punched cards' },
        { taskQueue: config.taskQueue, memo: { channel: 'example-client' } },
      );
      // The example's own sample data, printed to show the round trip. Never log real decrypted payloads.
      console.log(JSON.stringify(run, null, 2));
      if (storage !== undefined) {
        const pages = 'Page of a scanned contract between Ada Lovelace and Charles Babbage. '.repeat(48 * 1024);
        const document = { documentId: randomUUID(), customer: 'Ada Lovelace', pages };
        const { workflowId, archived } = await runArchive(client, document, { taskQueue: config.taskQueue });
        console.log(JSON.stringify({ workflowId, archiveId: archived.archiveId, pagesBytes: archived.pages.length }));
      }
    } finally {
      await connection.close();
    }
  } finally {
    storage?.close();
    await exampleCodec.close();
  }
}

main().catch((err: unknown) => {
  console.error('example client failed:', err);
  process.exit(1);
});
