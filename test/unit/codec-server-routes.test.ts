import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecError, ERROR_CODES, type KeyProvider } from '../../codec/index.js';
import {
  b64,
  createHarness,
  jsonPayloadJson,
  metadataText,
  valueOfJsonPayload,
  type Harness,
  type HarnessOptions,
} from '../../harness/codec-server-harness.js';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
  externalPayloads?: unknown[];
}

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

function harness(options: HarnessOptions = {}): Harness {
  const made = createHarness(options);
  harnesses.push(made);
  return made;
}

async function encodeValues(h: Harness, values: unknown[], namespace = 'default'): Promise<JsonPayload[]> {
  const res = await request(h.app)
    .post('/encode')
    .set('X-Namespace', namespace)
    .send({ payloads: values.map(jsonPayloadJson) })
    .expect(200);
  return (res.body as { payloads: JsonPayload[] }).payloads;
}

const storageReference: JsonPayload = {
  metadata: {
    encoding: b64('json/protobuf'),
    messageType: b64('temporal.api.sdk.v1.ExternalStorageReference'),
  },
  data: b64('{"driverName":"s3","claimData":{"key":"abc"}}'),
  externalPayloads: [{ sizeBytes: '123456' }],
};

describe('codec server: encode and decode', () => {
  it('round-trips payloads: encode seals them, decode gives back the exact JSON', async () => {
    const h = harness();
    const original = [jsonPayloadJson('Alice'), jsonPayloadJson({ n: 1 })];
    const encoded = await request(h.app).post('/encode').send({ payloads: original }).expect(200);
    expect(encoded.headers['content-type']).toMatch(/^application\/json/);
    const sealed = (encoded.body as { payloads: JsonPayload[] }).payloads;
    expect(sealed.map((p) => metadataText(p, 'encoding'))).toEqual(['binary/encrypted', 'binary/encrypted']);
    expect(JSON.stringify(sealed)).not.toContain(b64('"Alice"'));
    const decoded = await request(h.app).post('/decode').send({ payloads: sealed }).expect(200);
    expect(decoded.body).toEqual({ payloads: original });
    expect(decoded.headers['x-codec-decode-errors']).toBeUndefined();
  });

  it('takes the namespace from a /{namespace}/decode path when no X-Namespace header is sent', async () => {
    const h = harness();
    h.store.rotate('orders');
    const sealed = await encodeValues(h, ['order-1'], 'orders');
    expect(metadataText(sealed[0], 'encryption-key-id')).toBe('orders');
    const res = await request(h.app).post('/orders/decode').send({ payloads: sealed }).expect(200);
    expect(valueOfJsonPayload((res.body as { payloads: JsonPayload[] }).payloads[0])).toBe('order-1');
  });

  it('prefers the X-Namespace header over the path, and the path over the default namespace', async () => {
    const h = harness();
    h.store.rotate('orders');
    const sealed = await encodeValues(h, ['x'], 'orders');
    const viaHeader = await request(h.app)
      .post('/default/decode')
      .set('X-Namespace', 'orders')
      .send({ payloads: sealed });
    expect(viaHeader.headers['x-codec-decode-errors']).toBeUndefined();
    const viaDefault = await request(h.app).post('/decode').send({ payloads: sealed }).expect(200);
    expect(JSON.parse(String(viaDefault.headers['x-codec-decode-errors']))).toEqual([
      { index: 0, code: ERROR_CODES.namespaceMismatch },
    ]);
  });

  it('decodes as usual with ?preserveStorageRefs=true (what the Web UI sends)', async () => {
    const h = harness();
    const sealed = await encodeValues(h, ['q']);
    const res = await request(h.app).post('/decode?preserveStorageRefs=true').send({ payloads: sealed }).expect(200);
    expect(valueOfJsonPayload((res.body as { payloads: JsonPayload[] }).payloads[0])).toBe('q');
  });

  it('parses an application/json body (with a charset too); other types are refused with 415', async () => {
    const h = harness();
    const sealed = await encodeValues(h, ['ct']);
    const body = JSON.stringify({ payloads: sealed });
    const json = await request(h.app)
      .post('/decode')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(body)
      .expect(200);
    expect(valueOfJsonPayload((json.body as { payloads: JsonPayload[] }).payloads[0])).toBe('ct');
    await request(h.app).post('/decode').set('Content-Type', 'text/plain').send(body).expect(415);
    await request(h.app).post('/decode').send(Buffer.from(body)).expect(415);
  });

  it('answers as many payloads as it received, in order, for a mix of sealed and plain ones', async () => {
    const h = harness();
    const [a, b] = await encodeValues(h, ['a', 'b']);
    const plain = jsonPayloadJson('plain');
    const res = await request(h.app)
      .post('/decode')
      .send({ payloads: [a, plain, b, storageReference, {}] })
      .expect(200);
    const out = (res.body as { payloads: JsonPayload[] }).payloads;
    expect(out).toHaveLength(5);
    expect(out.slice(0, 3).map(valueOfJsonPayload)).toEqual(['a', 'plain', 'b']);
    expect(out[4]).toEqual({});
  });

  it('passes plain payloads and storage references through decode byte for byte, externalPayloads included', async () => {
    const h = harness();
    const other = { metadata: { encoding: b64('binary/snappy'), custom: 'AAECAw==' }, data: 'q83v' };
    const res = await request(h.app)
      .post('/decode')
      .send({ payloads: [storageReference, other, { metadata: { encoding: b64('binary/null') } }] })
      .expect(200);
    expect(res.text).toBe(
      JSON.stringify({ payloads: [storageReference, other, { metadata: { encoding: b64('binary/null') } }] }),
    );
  });

  it('leaves storage references unencrypted on encode, and keeps externalPayloads of sealed payloads', async () => {
    const h = harness();
    const withExternal = { ...jsonPayloadJson('big'), externalPayloads: [{ sizeBytes: '9007199254740991' }] };
    const encoded = await request(h.app)
      .post('/encode')
      .send({ payloads: [storageReference, withExternal] })
      .expect(200);
    const [ref, sealed] = (encoded.body as { payloads: JsonPayload[] }).payloads;
    expect(ref).toEqual(storageReference);
    expect(metadataText(sealed, 'encoding')).toBe('binary/encrypted');
    const decoded = await request(h.app)
      .post('/decode')
      .send({ payloads: [sealed] })
      .expect(200);
    expect((decoded.body as { payloads: JsonPayload[] }).payloads[0]).toEqual(withExternal);
  });

  it('accepts {} and {"payloads":[]} as zero payloads', async () => {
    const h = harness();
    expect((await request(h.app).post('/decode').send({}).expect(200)).body).toEqual({ payloads: [] });
    expect((await request(h.app).post('/encode').send({ payloads: [] }).expect(200)).body).toEqual({ payloads: [] });
  });

  it('returns a tampered payload unchanged and reports it in X-Codec-Decode-Errors', async () => {
    const h = harness();
    const [good, victim] = await encodeValues(h, ['good', 'victim']);
    const bytes = Buffer.from(victim?.data ?? '', 'base64');
    bytes[bytes.length - 1]! ^= 0x01;
    const tampered = { ...victim, data: bytes.toString('base64') };
    const res = await request(h.app)
      .post('/decode')
      .send({ payloads: [good, tampered] })
      .expect(200);
    const out = (res.body as { payloads: JsonPayload[] }).payloads;
    expect(valueOfJsonPayload(out[0])).toBe('good');
    expect(out[1]).toEqual(tampered);
    expect(JSON.parse(String(res.headers['x-codec-decode-errors']))).toEqual([
      { index: 1, code: ERROR_CODES.decryptionFailed },
    ]);
    expect(res.headers['x-codec-decode-error-count']).toBe('1');
    const audit = h.auditLines().at(-1);
    expect(audit).toMatchObject({ route: 'decode', decodeErrors: [{ index: 1, code: ERROR_CODES.decryptionFailed }] });
  });

  it('returns payloads of a destroyed key version unchanged with ERR_KEY_VERSION_DESTROYED', async () => {
    const h = harness();
    const sealed = await encodeValues(h, ['gone']);
    h.store.setState('default', 1, 'destroyed');
    // A cold cache, as after the cache's max age.
    const cold = harness({ store: h.store });
    const res = await request(cold.app).post('/decode').send({ payloads: sealed }).expect(200);
    expect((res.body as { payloads: JsonPayload[] }).payloads).toEqual(sealed);
    expect(JSON.parse(String(res.headers['x-codec-decode-errors']))).toEqual([
      { index: 0, code: ERROR_CODES.keyVersionDestroyed },
    ]);
  });

  it('answers 503 ERR_KEY_SOURCE_UNAVAILABLE for decode and encode when the key source is down', async () => {
    const h = harness();
    const sealed = await encodeValues(h, ['x']);
    h.store.failWith = new CodecError(ERROR_CODES.keySourceUnavailable, 'Vault unreachable (ECONNREFUSED)');
    const cold = harness({ store: h.store });
    const decoded = await request(cold.app).post('/decode').send({ payloads: sealed }).expect(503);
    expect(decoded.body).toEqual({
      error: { code: ERROR_CODES.keySourceUnavailable, message: 'the key source is unavailable; retry later' },
    });
    const encoded = await request(cold.app)
      .post('/encode')
      .send({ payloads: [jsonPayloadJson('y')] })
      .expect(503);
    expect((encoded.body as { error: { code: string } }).error.code).toBe(ERROR_CODES.keySourceUnavailable);
  });

  it('answers 400 ERR_UNKNOWN_KEY when encoding for a namespace without a key', async () => {
    const h = harness();
    const res = await request(h.app)
      .post('/encode')
      .set('X-Namespace', 'nokey')
      .send({ payloads: [jsonPayloadJson(1)] })
      .expect(400);
    expect((res.body as { error: { code: string } }).error.code).toBe(ERROR_CODES.unknownKey);
  });

  it('answers 503 ERR_TIMEOUT when the codec does not finish within --request-timeout-ms', async () => {
    const never = new Promise<never>(() => undefined);
    const provider: KeyProvider = {
      keyIdFor: (namespace) => namespace,
      encryptionKey: () => never,
      decryptionKey: () => never,
      checkHealth: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const h = harness({ provider, argv: ['--request-timeout-ms', '100'] });
    const res = await request(h.app)
      .post('/encode')
      .send({ payloads: [jsonPayloadJson(1)] })
      .expect(503);
    expect((res.body as { error: { code: string } }).error.code).toBe('ERR_TIMEOUT');
  });
});
