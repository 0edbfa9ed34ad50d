import { hash, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { Payload } from '@temporalio/common';
import { pino } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { CachingKeyProvider, EncryptionCodec, LocalKeyring, loadAeadEngine } from '../codec/index.js';

// The ceiling Node itself sets: a bare node:http server that parses the same JSON, runs the same EncryptionCodec over
// the same keyring and answers; no auth, CORS, limits, metrics or logs.
// `node bare-server.js <port> <keyring> <aead> [features]`: with `features`, the least each feature the codec server
// must have can cost, written as directly as possible: a static bearer token (SHA-256, constant-time compare), CORS
// headers for the listed origin, a request counter and a duration histogram, a deadline timer, and an audit line
// through a batching stdout destination. The difference between the two is what those features cost on this machine.

type JsonPayload = { metadata?: Record<string, string>; data?: string };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const [port, path, aead, features] = process.argv.slice(2) as [string, string, 'auto' | 'off' | 'require', string?];
const keyProvider = new CachingKeyProvider(new LocalKeyring({ path, warn: () => undefined }));
const codec = new EncryptionCodec({ namespace: 'default', keyProvider, aead: loadAeadEngine(aead) });
const withFeatures = features === 'features';
const TOKEN_DIGEST = hash('sha256', 'bench-static-token-7d0c5b2e94a1', 'buffer');
const ORIGIN = 'http://localhost:8233';
const registry = new Registry();
const requests = new Counter({ name: 'requests', help: '-', labelNames: ['route', 'status'], registers: [registry] });
const duration = new Histogram({ name: 'duration', help: '-', labelNames: ['route'], registers: [registry] });
const log = pino.destination({ dest: 1, sync: true, minLength: 4096 });

function finish(res: ServerResponse, status: number, body: string, started: number, route: string): void {
  const headers: string[] = ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))];
  if (withFeatures) headers.push('Vary', 'Origin', 'Access-Control-Allow-Origin', ORIGIN);
  res.writeHead(status, headers).end(body);
  if (!withFeatures) return;
  const seconds = (performance.now() - started) / 1000;
  requests.inc({ route, status: String(status) });
  duration.observe({ route }, seconds);
  log.write(
    `{"level":30,"time":"${new Date().toISOString()}","log":"audit","caller":"bench","route":"${route}",` +
      `"status":${status},"durationMs":${seconds * 1000},"msg":"codec request"}\n`,
  );
}

createServer((req, res) => {
  const started = performance.now();
  const action = req.url?.endsWith('/encode') ? 'encode' : 'decode';
  if (withFeatures) {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(hash('sha256', token, 'buffer'), TOKEN_DIGEST)) {
      finish(res, 401, '{}', started, action);
      return;
    }
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let input: Payload[];
    try {
      const { payloads } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads: JsonPayload[] };
      input = payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data ?? '', 'base64'),
      }));
    } catch {
      finish(res, 400, '{}', started, action);
      return;
    }
    const deadline = withFeatures ? setTimeout(() => undefined, 30_000) : undefined;
    codec[action](input).then(
      (out) => {
        clearTimeout(deadline);
        const body = JSON.stringify({
          payloads: out.map((p) => ({
            metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
            data: b64(p.data!),
          })),
        });
        finish(res, 200, body, started, action);
      },
      (err: unknown) => finish(res, 500, JSON.stringify(String(err)), started, action),
    );
  });
}).listen(Number(port), '127.0.0.1');
