import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHarness,
  jsonPayloadJson,
  valueOfJsonPayload,
  type Harness,
} from '../../harness/codec-server-harness.js';

// Request bodies as clients send them, whichever path serves them: the lean handler reads plain UTF-8 bodies itself
// and leaves compressed ones and other charsets to the express app's body parser; the answers must not differ.

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

function harness(argv: string[] = []): Harness {
  const made = createHarness({ argv });
  harnesses.push(made);
  return made;
}

/** Sends raw bytes (supertest would re-encode a Buffer), optionally streamed without a length (chunked). */
async function raw(h: Harness, body: Buffer, headers: Record<string, string>, streamed = false): Promise<Response> {
  const server = createServer(h.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/decode`;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body);
        controller.close();
      },
    });
    return await fetch(url, {
      method: 'POST',
      headers,
      body: streamed ? stream : body,
      ...(streamed ? { duplex: 'half' } : {}),
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

async function sealed(h: Harness, value: unknown): Promise<string> {
  const res = await request(h.app)
    .post('/encode')
    .set('X-Namespace', 'default')
    .send({ payloads: [jsonPayloadJson(value)] })
    .expect(200);
  return JSON.stringify(res.body);
}

function decodedValue(res: request.Response): unknown {
  return valueOfJsonPayload((res.body as { payloads: Array<{ data?: string }> }).payloads[0]);
}

describe('codec request bodies', () => {
  it('decodes a gzip-compressed body and a body with a byte order mark, and refuses one sent as text/plain', async () => {
    const h = harness();
    const body = await sealed(h, 'packed');
    const gzip = await raw(h, gzipSync(body), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    expect(gzip.status).toBe(200);
    expect(valueOfJsonPayload(((await gzip.json()) as { payloads: Array<{ data?: string }> }).payloads[0])).toBe(
      'packed',
    );
    const bom = await request(h.app)
      .post('/decode')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(`\uFEFF${body}`)
      .expect(200);
    expect(decodedValue(bom)).toBe('packed');
    // A page can send text/plain without a preflight: refused on both paths (415), never parsed.
    const text = await request(h.app).post('/decode').set('Content-Type', 'text/plain').send(body).expect(415);
    expect(text.body).toMatchObject({ error: { code: 'ERR_UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('treats an empty body as no payloads', async () => {
    const h = harness();
    const res = await request(h.app).post('/decode').set('Content-Type', 'application/json').expect(200);
    expect(res.body).toEqual({ payloads: [] });
  });

  it('answers 413 ERR_PAYLOAD_TOO_LARGE for a body over --body-limit, declared or streamed, and keeps serving', async () => {
    const h = harness(['--body-limit', '1kb']);
    const big = JSON.stringify({ payloads: [jsonPayloadJson('x'.repeat(4096))] });
    const declared = await request(h.app).post('/decode').set('Content-Type', 'application/json').send(big).expect(413);
    expect(declared.body).toMatchObject({ error: { code: 'ERR_PAYLOAD_TOO_LARGE' } });
    const chunked = await raw(h, Buffer.from(big), { 'Content-Type': 'application/json' }, true);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ error: { code: 'ERR_PAYLOAD_TOO_LARGE' } });
    const small = await sealed(h, 'still serving');
    expect(decodedValue(await request(h.app).post('/decode').send(JSON.parse(small)).expect(200))).toBe(
      'still serving',
    );
  });

  it('answers 400 ERR_BAD_REQUEST for a body that is not JSON', async () => {
    const h = harness();
    const res = await request(h.app)
      .post('/decode')
      .set('Content-Type', 'application/json')
      .send('{"payloads": [')
      .expect(400);
    expect(res.body).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } });
  });

  it('answers large bodies alike however they are spaced or escaped, and passes untouched payloads through', async () => {
    const h = harness();
    const value = 'y'.repeat(20_000);
    const compact = await sealed(h, value);
    const plain = jsonPayloadJson('passes through');
    const variants = [
      compact,
      // Go's protojson style: spaces after separators, and a line break at the end.
      `${compact.replace(/([,:{[])/g, '$1 ')}\n`,
      // An escaped slash inside a base64 string (valid JSON, the same string).
      compact.replace('/', '\\/'),
    ];
    for (const body of variants) {
      const res = await request(h.app).post('/decode').set('Content-Type', 'application/json').send(body).expect(200);
      expect(decodedValue(res)).toBe(value);
    }
    const mixed = JSON.stringify({ payloads: [plain, ...(JSON.parse(compact) as { payloads: unknown[] }).payloads] });
    const res = await request(h.app).post('/decode').set('Content-Type', 'application/json').send(mixed).expect(200);
    const answered = res.body as { payloads: unknown[] };
    expect(answered.payloads[0]).toEqual(plain);
    expect(valueOfJsonPayload(answered.payloads[1] as { data?: string })).toBe(value);
  });

  it('answers 400 ERR_BAD_REQUEST for a large body whose base64 holds a raw control character', async () => {
    const h = harness();
    const body = JSON.stringify({ payloads: [jsonPayloadJson('z'.repeat(8_000))] }).replace(
      /"data":"(.{10})/,
      '"data":"$1\u0001',
    );
    const res = await request(h.app).post('/decode').set('Content-Type', 'application/json').send(body).expect(400);
    expect(res.body).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } });
  });
});
