import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { CachingKeyProvider, EncryptionCodec } from '../codec/index.js';
import { payloadToJson, type JsonObject } from '../codec-server/index.js';
import { createHarness, jsonPayloadJson, type Harness } from './codec-server-harness.js';
import { TEST_BUCKET, jsonPayload, memoryStorage, sealAndStore } from './storage-fixtures.js';
import type { MemoryObjectStore } from './memory-object-store.js';

/**
 * Fuzzing of the codec server's HTTP surface, shared by the unit suite and `npm run fuzz`. Requests go over a raw
 * socket so that anything can be sent, including header injection attempts and malformed request lines. The rule:
 * every request gets a 2xx, 3xx or 4xx answer (never a 5xx, a dropped connection, or a crash) and every 4xx has a
 * JSON error body; the server stays up. Storage references (well formed, malformed, foreign) go to `/decode` and
 * `/download` of a server with storage over a recording in-memory store: the store may only ever be asked for an
 * object a well-formed reference of the configured bucket names.
 */

/** One raw HTTP request. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

/** A running fuzz target. */
export interface FuzzTarget {
  readonly port: number;
  readonly harness: Harness;
  /** References to objects that are in the store (a sealed JSON payload each), for well-formed cases. */
  readonly references: readonly JsonObject[];
  /** A storage request since the last call that no well-formed reference could have caused, or undefined. */
  storageViolation(): string | undefined;
  /** Storage requests seen by {@link storageViolation} so far (a fuzz run that never reached the store proves little). */
  storageRequests(): number;
  close(): Promise<void>;
}

/** The only object keys a well-formed, admitted reference can name: `v0/ns/<namespace>/.../d/sha256/<hex>`. */
const ADMISSIBLE_KEY = /^v0\/ns\/[^/]+\/(?:[^/]+\/)*d\/sha256\/[0-9a-f]{64}$/;

function firstViolation(store: MemoryObjectStore): string | undefined {
  const bad = store.requests.find(
    (r) => r.operation !== 'get' || r.bucket !== TEST_BUCKET || !ADMISSIBLE_KEY.test(r.key) || r.key.includes('/../'),
  );
  store.requests.length = 0;
  return bad === undefined ? undefined : `storage was asked for ${JSON.stringify(bad).slice(0, 300)}`;
}

/** Starts the codec server app (in-memory keys and storage, default limits) on a free loopback port. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const storage = memoryStorage();
  const harness = createHarness({ captureLogs: false, storage: storage.registry });
  const codec = new EncryptionCodec({ namespace: 'default', keyProvider: new CachingKeyProvider(harness.store) });
  const stored = await sealAndStore(codec, storage.externalStorage, [jsonPayload('stored'), jsonPayload({ n: 1 })]);
  storage.store.requests.length = 0;
  let seen = 0;
  const server: Server = createServer(harness.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    harness,
    references: stored.map((reference) => payloadToJson(reference)),
    storageViolation: () => {
      seen += storage.store.requests.length;
      return firstViolation(storage.store);
    },
    storageRequests: () => seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await harness.close();
    },
  };
}

/** Sends a request on a fresh connection and returns the status code and body (undefined status: no answer). */
export function sendRaw(
  port: number,
  request: RawRequest,
  timeoutMs = 10_000,
): Promise<{ status?: number; head: string; body: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const bodyStart = text.indexOf('\r\n\r\n');
      resolve({
        status: match ? Number(match[1]) : undefined,
        head: bodyStart === -1 ? text : text.slice(0, bodyStart),
        body: bodyStart === -1 ? '' : text.slice(bodyStart + 4),
      });
    };
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    const head = [
      `${request.method} ${request.path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: close',
      ...request.headers.map(([k, v]) => `${k}: ${v}`),
      `Content-Length: ${request.body.length}`,
      '',
      '',
    ].join('\r\n');
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), request.body]));
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64');
const REFERENCE_METADATA = {
  encoding: b64('json/protobuf'),
  messageType: b64('temporal.api.sdk.v1.ExternalStorageReference'),
};

/**
 * Reference payloads, from well formed (objects that exist) through edited claims (another bucket, key, hash, driver)
 * to garbage where the claim should be.
 */
function referenceArbitrary(references: readonly JsonObject[]): fc.Arbitrary<JsonObject> {
  const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
  const claim = fc.record(
    {
      bucket: fc.oneof(
        fc.constant(TEST_BUCKET),
        fc.constantFrom('other-bucket', '', 'B', '../x'),
        fc.string({ maxLength: 70 }),
      ),
      key: fc.oneof(
        hex.map((h) => `v0/ns/default/wt/T/wi/w/ri/r/d/sha256/${h}`),
        hex.map((h) => `v0/ns/orders/d/sha256/${h}`),
        hex.map((h) => `v0/ns/default/../orders/d/sha256/${h}`),
        hex.map((h) => `v0/d/sha256/${h}`),
        fc.string({ maxLength: 80 }),
      ),
      hashAlgorithm: fc.constantFrom('sha256', 'md5', ''),
      hashValue: fc.oneof(hex, fc.string({ maxLength: 70 })),
    },
    { requiredKeys: [] },
  );
  const data = fc.oneof(
    fc
      .record({ driverName: fc.constantFrom('aws.s3driver', 'gcs', ''), claimData: claim })
      .map((r) => b64(JSON.stringify(r))),
    fc.jsonValue({ maxDepth: 3 }).map((v) => b64(JSON.stringify(v))),
    fc.uint8Array({ maxLength: 64 }).map(b64),
    fc.string({ maxLength: 20 }),
  );
  const sizeBytes = fc.oneof(
    fc.constant(undefined),
    fc.nat(),
    fc.constantFrom('1e3', '-1', '18446744073709551616', 1e20, 2 ** 53, 'x'),
  );
  const edited = fc.record({ data, sizeBytes }).map(({ data: d, sizeBytes: size }) => ({
    metadata: REFERENCE_METADATA,
    data: d,
    ...(size === undefined ? {} : { externalPayloads: [{ sizeBytes: size }] }),
  }));
  return references.length === 0 ? edited : fc.oneof(fc.constantFrom(...references), edited);
}

/** Arbitrary requests against the codec routes and around them; `references` are well-formed ones to mix in. */
export function requestArbitrary(references: readonly JsonObject[] = []): fc.Arbitrary<RawRequest> {
  const path = fc.oneof(
    fc.constantFrom(
      '/decode',
      '/encode',
      '/default/decode',
      '/x/y/encode',
      '/decode?preserveStorageRefs=true',
      '/download',
      '/default/download',
      '/download?preserveStorageRefs=true',
    ),
    fc.constantFrom(
      '/../decode',
      '//decode',
      '/%2e%2e/decode',
      '/decode/',
      '/DECODE',
      '/decode%00',
      '/%ff/decode',
      '/healthz',
      '/metrics',
    ),
    fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}/decode`),
    fc.constant(`/${'a'.repeat(9000)}/decode`),
  );
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constant('POST') },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  );
  const namespace = fc.oneof(
    fc.constantFrom('default', 'orders', '', '..', '.', 'a/b', '%2F', 'x'.repeat(300)),
    fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
    fc.constantFrom('default\r\nX-Injected: 1', 'default\nSet-Cookie: a=b', 'ns\u0000', 'n\u00e4me'),
  );
  const validPayloads = fc
    .array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 })
    .map((values) => json({ payloads: values.map(jsonPayloadJson) }));
  const wrongShapes = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map(json),
    fc.record({ payloads: fc.jsonValue({ maxDepth: 3 }) }).map(json),
    fc
      .array(
        fc.record(
          { metadata: fc.jsonValue({ maxDepth: 2 }), data: fc.jsonValue({ maxDepth: 1 }) },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      )
      .map((payloads) => json({ payloads })),
    fc
      .array(
        fc.record({
          metadata: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })),
          data: fc.string({ maxLength: 40 }),
        }),
        { maxLength: 4 },
      )
      .map((payloads) => json({ payloads })),
  );
  const hostile = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.constantFrom(
      Buffer.from(nested(100_000)),
      Buffer.from(`{"payloads":${nested(5000)}}`),
      Buffer.from('{"payloads":[{"data":"\xff\xfe"}]}', 'latin1'),
      Buffer.from('{"payloads":[{"data":"!!!not base64!!!"}]}'),
      Buffer.from(`{"payloads":[{"data":"${'A'.repeat(6 * 1024 * 1024)}"}]}`),
      json({ payloads: Array.from({ length: 5000 }, () => ({})) }),
      json({ payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==' }, data: 'AAAA' }] }),
      json({ __proto__: { payloads: [] }, constructor: { prototype: { polluted: true } } }),
      Buffer.from('{"payloads": [], "payloads": 1}'),
      Buffer.alloc(0),
    ),
  );
  const referenceBodies = fc
    .array(fc.oneof(referenceArbitrary(references), fc.jsonValue({ maxDepth: 2 }).map(jsonPayloadJson)), {
      minLength: 1,
      maxLength: 4,
    })
    .map((payloads) => json({ payloads }));
  const body = fc.oneof(
    { weight: 3, arbitrary: validPayloads },
    { weight: 3, arbitrary: referenceBodies },
    { weight: 3, arbitrary: wrongShapes },
    { weight: 2, arbitrary: hostile },
  );
  // Mostly JSON, so that most requests get past the media-type check (415) into the parser and the codec.
  const contentType = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/json; charset=latin1') },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '') },
  );
  return fc
    .record({
      method,
      path,
      namespace,
      contentType,
      body,
      auth: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
    })
    .map(({ method: m, path: p, namespace: ns, contentType: ct, body: b, auth }) => ({
      method: m,
      path: p,
      body: b,
      headers: [
        ['X-Namespace', ns] as const,
        ...(ct === '' ? [] : [['Content-Type', ct] as const]),
        ...(auth === undefined ? [] : [['Authorization', auth.replace(/[\r\n]/g, '')] as const]),
        ['Origin', 'http://localhost:8233'] as const,
      ],
    }));
}

/** What is wrong with one answer, or undefined when it is acceptable. */
export function checkAnswer(request: RawRequest, answer: { status?: number; body: string }): string | undefined {
  // A request line or header the HTTP parser itself rejects is answered 400 by Node before the app runs, or the
  // connection is closed for header injection attempts that break the framing: both are the server staying safe.
  if (answer.status === undefined)
    return request.headers.some(([, v]) => /[\r\n\u0000]/.test(v)) ? undefined : 'no answer';
  if (answer.status >= 500) return `status ${answer.status}: ${answer.body.slice(0, 200)}`;
  if (answer.status >= 400 && request.method !== 'HEAD' && answer.body.length > 0) {
    try {
      const parsed = JSON.parse(answer.body) as { error?: { code?: unknown } };
      if (typeof parsed.error?.code !== 'string') return `status ${answer.status} without a JSON error code`;
    } catch {
      // Node's own HTTP parser answers malformed requests before the app with an empty 400.
      return `status ${answer.status} with a non-JSON body: ${answer.body.slice(0, 100)}`;
    }
  }
  return undefined;
}
