#!/usr/bin/env node
/**
 * Entry point: `npm run example:client` (or `node dist/worker-example/run-client.js`). Reads the environment once
 * (see `config.ts`), runs one order through the example workflow (start, signal, query, result) and prints what
 * came back, decrypted by the client's codec.
 */
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { createExampleClient, runOrder } from './client.js';
import { loadExampleConfig } from './config.js';
import { createCodec } from './create-codec.js';

async function main(): Promise<void> {
  const config = loadExampleConfig(process.env);
  const exampleCodec = createCodec(config);
  try {
    const connection = await Connection.connect({ address: config.temporalAddress });
    try {
      const client = createExampleClient(connection, config.namespace, exampleCodec.codec);
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
    } finally {
      await connection.close();
    }
  } finally {
    await exampleCodec.close();
  }
}

main().catch((err: unknown) => {
  console.error('example client failed:', err);
  process.exit(1);
});
