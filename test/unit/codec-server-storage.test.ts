import type { Payload } from '@temporalio/common';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { CachingKeyProvider, EncryptionCodec } from '../../codec/index.js';
import { STORAGE_ERROR_CODES, StorageError } from '../../codec/storage/index.js';
import {
  StorageRegistry,
  createStaticAuthenticator,
  parseStaticTokens,
  payloadToJson,
  type JsonObject,
} from '../../codec-server/index.js';
import { createHarness, valueOfJsonPayload, type Harness } from '../../harness/codec-server-harness.js';
import {
  jsonPayload,
  memoryStorage,
  referenceWithData,
  sealAndStore,
  storageSettings,
  type MemoryStorage,
} from '../../harness/storage-fixtures.js';

type Body = { payloads: JsonObject[]; error?: { code: string } };
const harnesses: Harness[] = [];
afterAll(() => Promise.all(harnesses.map((h) => h.close())));

function setup(argv: string[] = [], storage: MemoryStorage = memoryStorage(), extra = {}) {
  const h = createHarness({ argv, storage: storage.registry, ...extra });
  harnesses.push(h);
  const codec = new EncryptionCodec({ namespace: 'default', keyProvider: new CachingKeyProvider(h.store) });
  const store = async (values: unknown[]) => {
    const references = await sealAndStore(codec, storage.externalStorage, values.map(jsonPayload));
    storage.store.requests.length = 0;
    return references.map((reference) => payloadToJson(reference));
  };
  return { h, storage, store };
}

const codeOf = (res: { body: unknown }) => (res.body as Body).error?.code;
const values = (res: { body: unknown }) =>
  (res.body as Body).payloads.map((p) => valueOfJsonPayload(p as { data?: string }));

describe('codec server: POST /download', () => {
  it('answers the payloads that references name, retrieved and decoded, 1:1 and in order', async () => {
    const { h, store } = setup();
    const references = await store(['first', { second: 2 }]);
    const res = await request(h.app).post('/download').send({ payloads: references }).expect(200);
    expect(values(res)).toEqual(['first', { second: 2 }]);
  });

  it('answers the /{namespace}/download form and the query string the Web UI sends', async () => {
    const { h, store } = setup();
    const references = await store(['via path']);
    const res = await request(h.app)
      .post('/default/download?preserveStorageRefs=true')
      .set('Content-Type', 'application/json')
      .send({ payloads: references })
      .expect(200);
    expect(values(res)).toEqual(['via path']);
  });

  it('may be called with the read (decode-only) role, and needs a token like /decode', async () => {
    const tokens = parseStaticTokens(
      JSON.stringify({ 'ui-reader-token-0123456789': { subject: 'web-ui', permissions: ['default:read'] } }),
    );
    const { h, storage, store } = setup(['--auth', 'static', '--auth-tokens-file', 'unused.json'], memoryStorage(), {
      authenticator: createStaticAuthenticator(tokens),
    });
    const references = await store(['for a reader']);
    const ok = await request(h.app)
      .post('/download')
      .set('Authorization', 'Bearer ui-reader-token-0123456789')
      .send({ payloads: references })
      .expect(200);
    expect(values(ok)).toEqual(['for a reader']);
    storage.store.requests.length = 0;
    const anonymous = await request(h.app).post('/download').send({ payloads: references }).expect(401);
    expect(codeOf(anonymous)).toBe('ERR_UNAUTHORIZED');
    const elsewhere = await request(h.app)
      .post('/orders/download')
      .set('X-Namespace', 'orders')
      .set('Authorization', 'Bearer ui-reader-token-0123456789')
      .send({ payloads: references })
      .expect(403);
    expect(codeOf(elsewhere)).toBe('ERR_FORBIDDEN');
    expect(storage.store.requests).toEqual([]);
  });

  it('answers 400 ERR_STORAGE_NOT_CONFIGURED (not 404) for a namespace without storage', async () => {
    const { h, store } = setup();
    const references = await store(['x']);
    const none = createHarness({ storage: new StorageRegistry({ settings: { limits: storageSettings().limits } }) });
    harnesses.push(none);
    const res = await request(none.app).post('/download').send({ payloads: references }).expect(400);
    expect(codeOf(res)).toBe(STORAGE_ERROR_CODES.notConfigured);
    const bare = await request(h.app).post('/download').set('X-Namespace', 'default').send({ payloads: [] });
    expect(bare.status).toBe(200);
  });

  it('refuses non-references, malformed and foreign references with 400, without a storage request', async () => {
    const { h, storage, store } = setup();
    const [reference] = await store(['y']);
    const cases: Array<[Payload | JsonObject, string]> = [
      [payloadToJson(jsonPayload('inline')), STORAGE_ERROR_CODES.notReference],
      [payloadToJson(referenceWithData('{"driverName":')), STORAGE_ERROR_CODES.malformedReference],
      [
        payloadToJson(referenceWithData('{"driverName":"aws.s3driver","claimData":{"bucket":"b"}}')),
        STORAGE_ERROR_CODES.malformedReference,
      ],
      [
        {
          ...reference!,
          data: Buffer.from(
            Buffer.from(String(reference!.data), 'base64').toString().replace('payloads-test', 'other-bucket'),
          ).toString('base64'),
        },
        STORAGE_ERROR_CODES.foreignReference,
      ],
    ];
    for (const [payload, code] of cases) {
      const res = await request(h.app)
        .post('/download')
        .send({ payloads: [payload] });
      expect([res.status, codeOf(res)]).toEqual([400, code]);
    }
    expect(storage.store.requests).toEqual([]);
  });

  it('answers 410 for a missing object, 413 past the reference limit, 503 (retryable) when the store is down, 502 when it refuses', async () => {
    const { h, storage, store } = setup([], memoryStorage(storageSettings({ maxReferences: 2 })));
    const references = await store(['a', 'b', 'c']);
    const tooMany = await request(h.app).post('/download').send({ payloads: references }).expect(413);
    expect(codeOf(tooMany)).toBe(STORAGE_ERROR_CODES.tooManyReferences);
    expect(storage.store.requests).toEqual([]);
    storage.store.objects.clear();
    expect(
      codeOf(
        await request(h.app)
          .post('/download')
          .send({ payloads: [references[0]] })
          .expect(410),
      ),
    ).toBe(STORAGE_ERROR_CODES.objectNotFound);
    storage.store.failWith = new StorageError(STORAGE_ERROR_CODES.unavailable, 'down');
    expect(
      codeOf(
        await request(h.app)
          .post('/download')
          .send({ payloads: [references[0]] })
          .expect(503),
      ),
    ).toBe(STORAGE_ERROR_CODES.unavailable);
    storage.store.failWith = new StorageError(STORAGE_ERROR_CODES.refused, 'denied');
    expect(
      codeOf(
        await request(h.app)
          .post('/download')
          .send({ payloads: [references[0]] })
          .expect(502),
      ),
    ).toBe(STORAGE_ERROR_CODES.refused);
  });

  it('writes an audit line naming the objects read and the key versions used, and counts storage requests', async () => {
    const { h, store } = setup();
    const references = await store(['audited']);
    await request(h.app).post('/download').send({ payloads: references }).expect(200);
    const line = h.auditLines().at(-1)!;
    expect(line).toMatchObject({ route: 'download', status: 200, payloads: 1, namespace: 'default' });
    expect(line.keyVersions).toEqual(['default:1']);
    expect(line.storageObjects).toEqual([
      expect.stringMatching(/^payloads-test\/v0\/ns\/default\/.*\/d\/sha256\/[0-9a-f]{64}$/),
    ]);
    expect(JSON.stringify(line)).not.toContain('audited');
    const metrics = await h.metrics.collect();
    expect(metrics).toContain('codec_server_storage_requests_total{outcome="ok"} 1');
    expect(metrics).toContain('codec_server_http_requests_total{route="download",status="200"} 1');
  });
});

describe('codec server: storage references in POST /decode', () => {
  it('retrieves and decodes references by default, next to sealed and plain payloads', async () => {
    const { h, store } = setup();
    const [reference] = await store(['stored']);
    const inline = await request(h.app)
      .post('/encode')
      .send({ payloads: [payloadToJson(jsonPayload('inline'))] });
    const sealed = (inline.body as Body).payloads[0]!;
    const res = await request(h.app)
      .post('/decode')
      .send({ payloads: [sealed, reference, payloadToJson(jsonPayload('plain'))] })
      .expect(200);
    expect(values(res)).toEqual(['inline', 'stored', 'plain']);
    expect(res.headers['x-codec-decode-errors']).toBeUndefined();
  });

  it('answers references exactly as received with ?preserveStorageRefs=true, without a storage request', async () => {
    const { h, storage, store } = setup();
    const [reference] = await store(['kept']);
    const res = await request(h.app)
      .post('/decode?preserveStorageRefs=true')
      .send({ payloads: [reference] })
      .expect(200);
    expect(res.text).toBe(JSON.stringify({ payloads: [reference] }));
    expect(storage.store.requests).toEqual([]);
  });

  it('leaves a reference it cannot retrieve as it is and lists it; a store that is down fails the request with 503', async () => {
    const { h, storage, store } = setup();
    const [reference] = await store(['gone']);
    storage.store.objects.clear();
    const res = await request(h.app)
      .post('/decode')
      .send({ payloads: [payloadToJson(jsonPayload('p')), reference] })
      .expect(200);
    expect((res.body as Body).payloads[1]).toEqual(reference);
    expect(JSON.parse(String(res.headers['x-codec-decode-errors']))).toEqual([
      { index: 1, code: STORAGE_ERROR_CODES.objectNotFound },
    ]);
    storage.store.failWith = new StorageError(STORAGE_ERROR_CODES.unavailable, 'down');
    const down = await request(h.app)
      .post('/decode')
      .send({ payloads: [reference] })
      .expect(503);
    expect(codeOf(down)).toBe(STORAGE_ERROR_CODES.unavailable);
  });
});
