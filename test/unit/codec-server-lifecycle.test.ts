import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MultiNamespaceCodec, type KeyProvider } from '../../codec/index.js';
import {
  createApp,
  createLogger,
  createMetrics,
  createServerDeps,
  loadConfig,
  startServer,
  type ServerDeps,
} from '../../codec-server/index.js';
import { jsonPayloadJson, valueOfJsonPayload } from '../../harness/codec-server-harness.js';

// A self-signed certificate for localhost and 127.0.0.1, valid until 2126; test data only.
const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codec-server-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const silent = { write: () => undefined };

async function deps(argv: string[] = []): Promise<ServerDeps> {
  const config = loadConfig({ KEYRING_PATH: join(dir, 'keyring.json') }, ['--port', '0', ...argv]);
  return createServerDeps(config, { logDestination: silent });
}

/** Deps whose key provider waits for `release()` before answering an encryption key. */
async function gatedDeps(): Promise<{ deps: ServerDeps; asked: Promise<void>; release: () => void }> {
  const base = await deps();
  let release = () => undefined as void;
  let onAsked = () => undefined as void;
  const asked = new Promise<void>((resolve) => (onAsked = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const provider: KeyProvider = {
    keyIdFor: (namespace) => base.provider.keyIdFor(namespace),
    encryptionKey: async (scope, count) => {
      onAsked();
      await gate;
      return base.provider.encryptionKey(scope, count);
    },
    decryptionKey: (scope, ref) => base.provider.decryptionKey(scope, ref),
    checkHealth: () => base.provider.checkHealth(),
    close: () => base.provider.close(),
  };
  return {
    deps: {
      ...base,
      provider,
      codecs: new MultiNamespaceCodec({ keyProvider: provider, defaultNamespace: 'default' }),
    },
    asked,
    release,
  };
}

function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('codec server: listening and shutting down', () => {
  it('serves encode and decode on a real socket with keep-alive, on the local keyring (mode 0600)', async () => {
    const running = await startServer({ deps: await deps() });
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const encoded = await post(running.url, '/encode', { payloads: [jsonPayloadJson('over the wire')] });
      expect(encoded.headers.get('keep-alive')).toMatch(/timeout=65/);
      const decoded = await post(running.url, '/decode', await encoded.json());
      const body = (await decoded.json()) as { payloads: Array<{ data: string }> };
      expect(valueOfJsonPayload(body.payloads[0])).toBe('over the wire');
      expect((await stat(join(dir, 'keyring.json'))).mode & 0o777).toBe(0o600);
    } finally {
      await running.shutdown();
    }
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it('lets an in-flight request finish during the grace period', async () => {
    const { deps: gated, asked, release } = await gatedDeps();
    const running = await startServer({ deps: gated });
    const inFlight = post(running.url, '/encode', { payloads: [jsonPayloadJson('late')] });
    await asked;
    const stopped = running.shutdown(10_000);
    release();
    expect((await inFlight).status).toBe(200);
    // The keep-alive connection is closed once idle, rather than held until the grace period ends.
    const waitedFrom = Date.now();
    await stopped;
    expect(Date.now() - waitedFrom).toBeLessThan(5_000);
  });

  it('closes connections still open when the grace period ends', async () => {
    const { deps: gated, asked } = await gatedDeps();
    const running = await startServer({ deps: gated });
    const inFlight = post(running.url, '/encode', { payloads: [jsonPayloadJson('never')] });
    await asked;
    await running.shutdown(50);
    await expect(inFlight).rejects.toThrow();
  });

  it('fails readiness with 503 ERR_UNAVAILABLE once shutdown began', async () => {
    const config = loadConfig({}, []);
    const base = await deps();
    const app = createApp({
      ...base,
      config,
      isShuttingDown: () => true,
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
    });
    const res = await request(app).get('/readyz').expect(503);
    expect((res.body as { error: { code: string } }).error.code).toBe('ERR_UNAVAILABLE');
    await base.close();
  });

  it('serves https when --tls-cert and --tls-key are given', async () => {
    const running = await startServer({
      deps: await deps([
        '--tls-cert',
        join(TLS_DIR, 'localhost-cert.pem'),
        '--tls-key',
        join(TLS_DIR, 'localhost-key.pem'),
      ]),
    });
    try {
      expect(running.url).toMatch(/^https:/);
      const ca = await readFile(join(TLS_DIR, 'localhost-cert.pem'));
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpsRequest(`${running.url}/healthz`, { ca, servername: 'localhost' }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    } finally {
      await running.shutdown();
    }
  });

  it('reports a port in use with a hint', async () => {
    const first = await startServer({ deps: await deps() });
    try {
      const port = new URL(first.url).port;
      const second = await deps();
      const config = loadConfig({ KEYRING_PATH: join(dir, 'keyring.json') }, ['--port', port]);
      await expect(startServer({ deps: { ...second, config } })).rejects.toThrow(/EADDRINUSE.*another --port/);
      await second.close();
    } finally {
      await first.shutdown();
    }
  });
});
