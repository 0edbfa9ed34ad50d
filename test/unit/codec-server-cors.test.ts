import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createHarness, jsonPayloadJson } from '../../harness/codec-server-harness.js';

const UI = 'http://localhost:8233';
const open = createHarness();
const withCredentials = createHarness({
  argv: ['--cors-credentials', '--cors-origins', 'https://ui.example.com,http://localhost:8233'],
});
const anyOrigin = createHarness({ argv: ['--cors-origins', '*'] });
afterAll(async () => {
  await Promise.all([open.close(), withCredentials.close(), anyOrigin.close()]);
});

function preflight(app: typeof open.app, origin: string, path = '/decode') {
  return request(app)
    .options(path)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'content-type,x-namespace');
}

describe('codec server: CORS for the Web UI', () => {
  it('answers a preflight from an allowed origin with 204 and the CORS headers', async () => {
    const res = await preflight(open.app, UI).expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    expect(res.headers['access-control-allow-headers']).toBe(
      'Content-Type, X-Namespace, Authorization, Authorization-Extras',
    );
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(res.headers.vary).toContain('Origin');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('the default allow-list has both spellings of the dev server UI origin', async () => {
    const res = await preflight(open.app, 'http://127.0.0.1:8233').expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
  });

  it('gives an origin that is not listed no CORS headers at all', async () => {
    const res = await preflight(open.app, 'https://evil.example').expect(204);
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const post = await request(open.app).post('/decode').set('Origin', 'https://evil.example').send({ payloads: [] });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    expect(post.headers.vary).toContain('Origin');
  });

  it('puts CORS headers on the actual POST answer, exposing X-Codec-Decode-Errors', async () => {
    const res = await request(open.app)
      .post('/decode')
      .set('Origin', UI)
      .send({ payloads: [jsonPayloadJson(1)] })
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-expose-headers']).toContain('X-Codec-Decode-Errors');
  });

  it('puts CORS headers on error answers too, so the UI can read them', async () => {
    const res = await request(open.app)
      .post('/decode')
      .set('Origin', UI)
      .set('Content-Type', 'application/json')
      .send('{bad')
      .expect(400);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    const refused = await request(open.app)
      .post('/decode')
      .set('Origin', UI)
      .set('Content-Type', 'text/plain')
      .send('{}');
    expect(refused.status).toBe(415);
    expect(refused.headers['access-control-allow-origin']).toBe(UI);
  });

  it('in credentials mode echoes the exact origin with Access-Control-Allow-Credentials: true, never *', async () => {
    for (const origin of ['https://ui.example.com', UI]) {
      const res = await preflight(withCredentials.app, origin).expect(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
    }
    const other = await preflight(withCredentials.app, 'https://other.example.com').expect(204);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('with --cors-origins * and no credentials answers *', async () => {
    const res = await preflight(anyOrigin.app, 'https://anything.example').expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it("allows Chrome's Private Network Access preflight for listed origins", async () => {
    const res = await preflight(withCredentials.app, 'https://ui.example.com')
      .set('Access-Control-Request-Private-Network', 'true')
      .expect(204);
    expect(res.headers['access-control-allow-private-network']).toBe('true');
  });
});
