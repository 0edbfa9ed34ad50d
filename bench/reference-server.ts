import express from 'express';
import type { Payload } from '@temporalio/common';
import { SampleStyleCodec } from './sample-codec.js';

// The reference: a codec server written the way the public TypeScript encryption sample writes it (express JSON body
// parser, base64 conversion of metadata and data, the sample-style codec, one JSON answer). Started as its own
// process by the load benchmark: `node reference-server.js <port>`.

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

const codec = await SampleStyleCodec.create();
const app = express();
// The sample's `cors({ allowedHeaders: [...] })`: for a simple POST it only adds the allow-origin header.
app.use((_req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  next();
});
app.use(express.json({ limit: '10mb' }));
for (const route of ['encode', 'decode'] as const) {
  app.post(`/${route}`, (req, res, next) => {
    const { payloads } = req.body as { payloads: JsonPayload[] };
    codec[route](payloads.map(fromJson)).then(
      (result) => res.json({ payloads: result.map(toJson) }),
      (err: unknown) => next(err),
    );
  });
}
const port = Number(process.argv[2]);
app.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
