import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecError, ERROR_CODES, MemoryKeyStore } from '../../codec/index.js';
import { createJwtAuthenticator, loadConfig, type JwtAuthConfig } from '../../codec-server/index.js';
import {
  createHarness,
  jsonPayloadJson,
  type Harness,
  type HarnessOptions,
} from '../../harness/codec-server-harness.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});
function harness(options: HarnessOptions = {}): Harness {
  const made = createHarness(options);
  harnesses.push(made);
  return made;
}

describe('codec server: health, readiness and metrics', () => {
  it('GET /healthz answers 200 {"status":"ok"} even when the key source is down', async () => {
    const h = harness();
    h.store.failWith = new CodecError(ERROR_CODES.keySourceUnavailable, 'down');
    expect((await request(h.app).get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 while the key source answers and 503 when it does not', async () => {
    const h = harness();
    expect((await request(h.app).get('/readyz').expect(200)).body).toEqual({ status: 'ok' });
    h.store.failWith = new CodecError(ERROR_CODES.keySourceUnavailable, 'Vault unreachable (ECONNREFUSED)');
    const down = await request(h.app).get('/readyz').expect(503);
    expect(down.body).toMatchObject({ status: 'unavailable', error: { code: ERROR_CODES.keySourceUnavailable } });
    h.store.failWith = undefined;
    await request(h.app).get('/readyz').expect(200);
  });

  it('GET /metrics exposes requests, payloads, codec errors, durations, key cache and key source series', async () => {
    const h = harness();
    const sealed = (
      await request(h.app)
        .post('/encode')
        .send({ payloads: [jsonPayloadJson(1)] })
    ).body as {
      payloads: Array<{ data: string }>;
    };
    const broken = { ...sealed.payloads[0], data: Buffer.alloc(100).toString('base64') };
    await request(h.app)
      .post('/decode')
      .send({ payloads: [...sealed.payloads, broken] })
      .expect(200);
    const res = await request(h.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(/codec_server_http_requests_total\{route="encode",status="200"\} 1/);
    expect(text).toMatch(/codec_server_payloads_total\{route="decode"\} 2/);
    expect(text).toMatch(/codec_server_codec_errors_total\{route="decode",code="ERR_DECRYPTION_FAILED"\} 1/);
    expect(text).toMatch(/codec_server_http_request_duration_seconds_bucket\{le="[^"]+",route="decode"\}/);
    expect(text).toMatch(/codec_server_key_cache_requests_total\{kind="latest",result="miss"\} 1/);
    expect(text).toMatch(
      /codec_server_key_source_request_duration_seconds_count\{operation="readLatest",outcome="ok"\} 1/,
    );
  });

  it('labels unknown paths as route "other", so clients cannot create series', async () => {
    const h = harness();
    await request(h.app).get('/some/random/path').expect(404);
    const text = (await request(h.app).get('/metrics')).text;
    expect(text).toMatch(/codec_server_http_requests_total\{route="other",status="404"\} 1/);
    expect(text).not.toContain('random');
  });
});

describe('codec server: audit lines', () => {
  it('writes one line per encode/decode request with caller, namespace, count, key versions, status and duration', async () => {
    const h = harness();
    h.store.rotate('default');
    const sealed = (
      await request(h.app)
        .post('/encode')
        .send({ payloads: [jsonPayloadJson('a'), jsonPayloadJson('b')] })
    ).body as { payloads: unknown[] };
    await request(h.app).post('/decode').send(sealed).expect(200);
    await request(h.app).get('/healthz');
    const lines = h.auditLines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ caller: 'anonymous', namespace: 'default', route: 'encode', payloads: 2 });
    expect(lines[0]).toMatchObject({ keyVersions: ['default:2'], status: 200, errorCode: null, decodeErrors: [] });
    expect(lines[1]).toMatchObject({ route: 'decode', payloads: 2, keyVersions: ['default:2'], status: 200 });
    expect(typeof lines[1]?.durationMs).toBe('number');
  });

  it('audits failed requests too, with the error code', async () => {
    const h = harness();
    await request(h.app).post('/decode').set('Content-Type', 'application/json').send('{oops').expect(400);
    expect(h.auditLines()).toEqual([
      expect.objectContaining({ route: 'decode', status: 400, errorCode: 'ERR_BAD_REQUEST' }),
    ]);
  });

  it('never logs plaintext, payload bytes, key bytes or tokens', async () => {
    const plaintext = 'top-secret-plaintext-4242';
    const material = randomBytes(32);
    const store = new MemoryKeyStore();
    store.rotate('default', material);
    const secret = 'audit-test-shared-secret-0123456789abcdef';
    const argv = ['--auth', 'jwt', '--jwt-secret', secret];
    const authenticator = createJwtAuthenticator(loadConfig({}, argv).auth as JwtAuthConfig);
    const h = harness({ argv, store, authenticator });
    const jwt = await new SignJWT({ sub: 'auditor', permissions: ['default:admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    const payload = jsonPayloadJson(plaintext);
    const encoded = await request(h.app)
      .post('/encode')
      .set('Authorization', `Bearer ${jwt}`)
      .send({ payloads: [payload] })
      .expect(200);
    const sealed = (encoded.body as { payloads: Array<{ data: string }> }).payloads;
    await request(h.app).post('/decode').set('Authorization', `Bearer ${jwt}`).send({ payloads: sealed }).expect(200);
    await request(h.app)
      .post('/decode')
      .set('Authorization', 'Bearer wrong-token')
      .send({ payloads: sealed })
      .expect(401);
    h.store.failWith = new CodecError(ERROR_CODES.keySourceUnavailable, 'down');
    await request(h.app).get('/readyz').expect(503);

    const everything = h.logs.join('\n');
    expect(h.auditLines()).toHaveLength(3);
    for (const forbidden of [
      plaintext,
      Buffer.from(plaintext).toString('base64'),
      payload.data,
      sealed[0]?.data ?? 'missing',
      material.toString('hex'),
      material.toString('base64'),
      jwt,
      secret,
      'wrong-token',
    ]) {
      expect(everything).not.toContain(forbidden);
    }
  });
});
