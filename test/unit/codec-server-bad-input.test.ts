import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createHarness, jsonPayloadJson } from '../../harness/codec-server-harness.js';

const h = createHarness({ argv: ['--max-payloads', '3', '--body-limit', '2kb', '--namespaces', 'default,orders'] });
afterAll(() => h.close());

interface ErrorBody {
  error: { code: string; message: string };
}

/** Posts a raw body to /decode and returns the status and JSON error. */
async function decodeRaw(body: string, path = '/decode') {
  const res = await request(h.app).post(path).set('Content-Type', 'application/json').send(body);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return { status: res.status, error: (res.body as ErrorBody).error };
}

describe('codec server: bad input answers a JSON error naming the problem', () => {
  it.each([
    ['malformed JSON', '{"payloads": [', 'request body is not valid JSON'],
    ['a body that is not an object', '[1,2]', 'request body must be a JSON object'],
    ['a JSON string body', '"payloads"', 'request body must be a JSON object'],
    ['payloads that are not an array', '{"payloads": {"0": {}}}', 'payloads must be an array'],
    ['a payload that is not an object', '{"payloads": [null]}', 'payloads[0] must be an object'],
    [
      'data that is not valid base64',
      '{"payloads": [{}, {}, {"data": "not base64!"}]}',
      'payloads[2].data is not valid base64',
    ],
    ['base64 of an impossible length', '{"payloads": [{"data": "QUJDR"}]}', 'payloads[0].data is not valid base64'],
    ['data that is not a string', '{"payloads": [{"data": 5}]}', 'payloads[0].data must be a base64 string'],
    ['metadata that is not an object', '{"payloads": [{"metadata": "x"}]}', 'payloads[0].metadata must be an object'],
    [
      'a metadata value that is not a string',
      '{"payloads": [{"metadata": {"encoding": 5}}]}',
      'payloads[0].metadata["encoding"]',
    ],
    ['an unknown payload field', '{"payloads": [{"dat": "QQ=="}]}', 'payloads[0].dat is not a Payload field'],
    ['a bad externalPayloads size', '{"payloads": [{"externalPayloads": [{"sizeBytes": "-1"}]}]}', 'sizeBytes'],
  ])('%s -> 400 ERR_BAD_REQUEST', async (_name, body, message) => {
    const { status, error } = await decodeRaw(body);
    expect(status).toBe(400);
    expect(error.code).toBe('ERR_BAD_REQUEST');
    expect(error.message).toContain(message);
  });

  it('keeps a __proto__ metadata key as an ordinary entry through /encode and /decode', async () => {
    const payload = JSON.parse(
      `{"metadata":{"__proto__":"${Buffer.from('evil').toString('base64')}","encoding":"${Buffer.from('json/plain').toString('base64')}"},"data":"${Buffer.from('1').toString('base64')}"}`,
    ) as Record<string, unknown>;
    const encoded = await request(h.app)
      .post('/encode')
      .send({ payloads: [payload] })
      .expect(200);
    const decoded = await request(h.app)
      .post('/decode')
      .send(encoded.body as object)
      .expect(200);
    const [answer] = (decoded.body as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
    expect(Object.keys(answer!.metadata).sort()).toEqual(['__proto__', 'encoding']);
    expect(Buffer.from(answer!.metadata.__proto__!, 'base64').toString()).toBe('evil');
  });

  it('accepts URL-safe and unpadded base64, as protojson does', async () => {
    const res = await request(h.app)
      .post('/decode')
      .send({ payloads: [{ data: '-_8' }, { data: '+/8=' }] })
      .expect(200);
    expect(res.body).toEqual({ payloads: [{ data: '-_8' }, { data: '+/8=' }] });
  });

  it('too many payloads -> 413 ERR_TOO_MANY_PAYLOADS', async () => {
    const body = JSON.stringify({ payloads: [{}, {}, {}, {}] });
    const { status, error } = await decodeRaw(body);
    expect(status).toBe(413);
    expect(error.code).toBe('ERR_TOO_MANY_PAYLOADS');
  });

  it('a body over --body-limit -> 413 ERR_PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify({ payloads: [jsonPayloadJson('x'.repeat(4096))] });
    const { status, error } = await decodeRaw(body);
    expect(status).toBe(413);
    expect(error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
  });

  it('an invalid namespace name -> 400, one outside --namespaces -> 403 ERR_NAMESPACE_NOT_ALLOWED', async () => {
    const bad = await request(h.app).post('/decode').set('X-Namespace', '../etc').send({ payloads: [] });
    expect([bad.status, (bad.body as ErrorBody).error.code]).toEqual([400, 'ERR_BAD_REQUEST']);
    const other = await request(h.app).post('/billing/decode').send({ payloads: [] });
    expect([other.status, (other.body as ErrorBody).error.code]).toEqual([403, 'ERR_NAMESPACE_NOT_ALLOWED']);
  });

  it('an unknown route -> 404 ERR_NOT_FOUND', async () => {
    for (const [method, path] of [
      ['get', '/'],
      ['post', '/decoder'],
      ['post', '/encode/extra'],
      ['post', '/download/extra'],
    ] as const) {
      const res = await request(h.app)[method](path);
      expect([method, path, res.status, (res.body as ErrorBody).error.code]).toEqual([
        method,
        path,
        404,
        'ERR_NOT_FOUND',
      ]);
    }
  });

  it('GET, PUT or DELETE on /decode, /encode and /download -> 405 ERR_METHOD_NOT_ALLOWED with Allow: POST', async () => {
    for (const method of ['get', 'put', 'delete'] as const) {
      for (const path of ['/decode', '/default/encode', '/download', '/default/download']) {
        const res = await request(h.app)[method](path);
        expect([res.status, res.headers.allow, (res.body as ErrorBody).error.code]).toEqual([
          405,
          'POST',
          'ERR_METHOD_NOT_ALLOWED',
        ]);
      }
    }
  });
});
