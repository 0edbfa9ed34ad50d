import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { CodecServerApp } from '../../codec-server/index.js';
import {
  createHarness,
  jsonPayloadJson,
  valueOfJsonPayload,
  type Harness,
} from '../../harness/codec-server-harness.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

function app(): CodecServerApp {
  const made = createHarness();
  harnesses.push(made);
  return made.app;
}

// `createApp()` is typed without express (the published types must not need `@types/express`); these are the ways
// users run it, and each must still work, at compile time as at run time.
describe('the codec server app as its users mount it', () => {
  it('is a Node request listener: http.createServer(app) serves encode and decode', async () => {
    const listener: RequestListener = app();
    const server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const post = async (path: string, body: unknown): Promise<{ payloads: Array<{ data?: string }> }> => {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { payloads: Array<{ data?: string }> };
      };
      const sealed = await post('/encode', { payloads: [jsonPayloadJson('hello')] });
      const opened = await post('/decode', sealed);
      expect(valueOfJsonPayload(opened.payloads[0])).toBe('hello');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('mounts under a path of an express application, with its own JSON 404 inside the mount', async () => {
    const outer = express();
    outer.get('/other', (_req, res) => void res.send('other'));
    outer.use('/codec', app());
    const sealed = await request(outer)
      .post('/codec/encode')
      .send({ payloads: [jsonPayloadJson(42)] })
      .expect(200);
    const opened = await request(outer).post('/codec/decode').send(sealed.body).expect(200);
    expect(valueOfJsonPayload((opened.body as { payloads: Array<{ data?: string }> }).payloads[0])).toBe(42);
    await request(outer).get('/other').expect(200, 'other');
    const missing = await request(outer).get('/codec/nothing').expect(404);
    expect((missing.body as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND');
  });
});
