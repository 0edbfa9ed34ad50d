import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { createHarness, jsonPayloadJson, type Harness } from '../fixtures/codec-server-harness.js';

/**
 * Fuzzing of the codec server's HTTP surface, shared by the unit suite and `npm run fuzz`. Requests go over a raw
 * socket so that anything can be sent, including header injection attempts and malformed request lines. The rule:
 * every request gets a 2xx, 3xx or 4xx answer (never a 5xx, a dropped connection, or a crash) and every 4xx has a
 * JSON error body; the server stays up.
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
  close(): Promise<void>;
}

/** Starts the codec server app (in-memory keys, default limits) on a free loopback port. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const harness = createHarness({ captureLogs: false });
  const server: Server = createServer(harness.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    harness,
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

/** Arbitrary requests against the codec routes and around them. */
export function requestArbitrary(): fc.Arbitrary<RawRequest> {
  const path = fc.oneof(
    fc.constantFrom(
      '/decode',
      '/encode',
      '/default/decode',
      '/x/y/encode',
      '/decode?preserveStorageRefs=true',
      '/download',
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
  const body = fc.oneof(
    { weight: 3, arbitrary: validPayloads },
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
