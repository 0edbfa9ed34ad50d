import { createServer } from 'node:http';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { CachingKeyProvider, LocalKeyring } from '../../codec/index.js';
import { createHarness, jsonPayloadJson, type Harness } from '../../harness/codec-server-harness.js';

// Auth off must not mean "any web page may use the server": a page the operator visits can send a cross-origin
// text/plain POST without a preflight, and DNS rebinding makes a foreign host name resolve to 127.0.0.1. So a POST
// from a browser origin that is not on the CORS allow-list is refused, bodies must be application/json (which a page
// can only send after a preflight), and a loopback-bound server answers only to loopback host names.

const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((made) => made.close()));
});

function harness(argv: string[] = []): Harness {
  const made = createHarness({ argv });
  harnesses.push(made);
  return made;
}

function codeOf(res: request.Response): string | undefined {
  return (res.body as { error?: { code: string } }).error?.code;
}

const body = JSON.stringify({ payloads: [jsonPayloadJson('from a web page')] });

describe('codec server: POSTs from web pages (auth off)', () => {
  it('refuses a simple text/plain POST from an origin not on the allow-list: no key is created', async () => {
    // The local keyring creates a namespace's key on first encode: the request a page could use to plant keys.
    const keyring = join(mkdtempSync(join(tmpdir(), 'guards-')), 'keyring.json');
    const made = createHarness({
      provider: new CachingKeyProvider(new LocalKeyring({ path: keyring, warn: () => undefined })),
    });
    harnesses.push(made);
    const res = await request(made.app)
      .post('/encode')
      .set('Origin', 'https://evil.example')
      .set('Content-Type', 'text/plain')
      .set('X-Namespace', 'planted')
      .send(body);
    expect([res.status, codeOf(res)]).toEqual([403, 'ERR_ORIGIN_NOT_ALLOWED']);
    expect(existsSync(keyring)).toBe(false);
    // The same request from the CLI (no Origin, JSON) creates it: the refusal above is the guard, not a broken setup.
    await request(made.app)
      .post('/encode')
      .set('X-Namespace', 'planted')
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(200);
    expect(existsSync(keyring)).toBe(true);
  });

  it('refuses a JSON POST from an unlisted origin, and an opaque origin ("null")', async () => {
    const h = harness();
    for (const origin of ['https://evil.example', 'http://localhost:9999', 'null']) {
      const res = await request(h.app)
        .post('/decode')
        .set('Origin', origin)
        .set('Content-Type', 'application/json')
        .send(body);
      expect([origin, res.status, codeOf(res)]).toEqual([origin, 403, 'ERR_ORIGIN_NOT_ALLOWED']);
    }
  });

  it('serves a listed origin, a request without Origin (the CLI), and any origin when * is listed', async () => {
    const h = harness();
    const json = (app: Harness['app'], origin?: string) => {
      const req = request(app).post('/decode').set('Content-Type', 'application/json');
      return (origin === undefined ? req : req.set('Origin', origin)).send(body);
    };
    expect((await json(h.app, 'http://localhost:8233')).status).toBe(200);
    expect((await json(h.app)).status).toBe(200);
    const any = harness(['--cors-origins', '*']);
    expect((await json(any.app, 'https://anywhere.example')).status).toBe(200);
  });

  it('answers 415 ERR_UNSUPPORTED_MEDIA_TYPE to a body that is not application/json, with or without Origin', async () => {
    const h = harness();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/jsonx',
    ]) {
      const res = await request(h.app).post('/decode').set('Content-Type', type).send(body);
      expect([type, res.status, codeOf(res)]).toEqual([type, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE']);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    const none = await request(h.app).post('/decode').send(Buffer.from(body));
    expect([none.status, codeOf(none)]).toEqual([415, 'ERR_UNSUPPORTED_MEDIA_TYPE']);
  });

  it('accepts application/json with parameters and in any case', async () => {
    const h = harness();
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const res = await request(h.app).post('/decode').set('Content-Type', type).send(body);
      expect([type, res.status]).toEqual([type, 200]);
    }
  });

  it('still answers 405 to GET on a codec path and 204 to a preflight from a listed origin', async () => {
    const h = harness();
    expect((await request(h.app).get('/decode')).status).toBe(405);
    await request(h.app)
      .options('/decode')
      .set('Origin', 'http://localhost:8233')
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
  });
});

describe('codec server: Host header on a loopback bind (DNS rebinding)', () => {
  /** Sends `Host: <host>` to the app; `{port}` is replaced by the port the request actually arrived on. */
  async function withHost(app: Harness['app'], host: string | ((port: number) => string), path = '/decode') {
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const req =
        path === '/decode'
          ? request(server).post(path).set('Content-Type', 'application/json')
          : request(server).get(path);
      const res = await req
        .set('Host', typeof host === 'string' ? host : host(port))
        .send(path === '/decode' ? body : undefined);
      return res;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('serves localhost, 127.0.0.1 and [::1] with the bound port', async () => {
    const h = harness();
    for (const name of ['localhost', '127.0.0.1', '[::1]', 'LOCALHOST']) {
      const res = await withHost(h.app, (port) => `${name}:${port}`);
      expect([name, res.status]).toEqual([name, 200]);
    }
  });

  it('answers 403 ERR_HOST_NOT_ALLOWED to a foreign name, another port or a missing port, on every route', async () => {
    const h = harness();
    const hosts: Array<(port: number) => string> = [
      (port) => `rebind.evil.example:${port}`,
      (port) => `localhost:${port + 1}`,
      () => 'localhost',
      (port) => `localhost.evil.example:${port}`,
      (port) => `127.0.0.2:${port}`,
    ];
    for (const host of hosts) {
      const res = await withHost(h.app, host);
      expect([host(1), res.status, codeOf(res)]).toEqual([host(1), 403, 'ERR_HOST_NOT_ALLOWED']);
    }
    expect((await withHost(h.app, (port) => `rebind.evil.example:${port}`, '/metrics')).status).toBe(403);
  });

  it('accepts names listed in --allowed-hosts, with any port or the one given', async () => {
    const h = harness(['--allowed-hosts', 'codec.internal,proxy.local:9000']);
    expect((await withHost(h.app, (port) => `codec.internal:${port}`)).status).toBe(200);
    expect((await withHost(h.app, 'codec.internal')).status).toBe(200);
    expect((await withHost(h.app, 'proxy.local:9000')).status).toBe(200);
    expect((await withHost(h.app, 'proxy.local:9001')).status).toBe(403);
  });

  it('does not check Host on a non-loopback bind unless --allowed-hosts is given', async () => {
    const open = harness(['--host', '0.0.0.0']);
    expect((await withHost(open.app, (port) => `codec.example.com:${port}`)).status).toBe(200);
    const listed = harness(['--host', '0.0.0.0', '--allowed-hosts', 'codec.example.com']);
    expect((await withHost(listed.app, (port) => `codec.example.com:${port}`)).status).toBe(200);
    expect((await withHost(listed.app, (port) => `other.example.com:${port}`)).status).toBe(403);
    expect((await withHost(listed.app, (port) => `localhost:${port}`)).status).toBe(200);
  });
});
