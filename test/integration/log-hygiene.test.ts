import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { VaultClient, VaultKvStore } from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { b64, jsonPayloadJson } from '../../harness/codec-server-harness.js';
import { uniquePrefix } from '../support/vault-fixtures.js';

// Captures every log line of a full codec-server run on Vault KV (successes, tampering, auth failures, a dead Vault,
// a metrics scrape) and searches it, the metrics and every response body for the key material, the Vault token,
// the callers' bearer tokens and the plaintext. None may appear, in any encoding.

const vault = inject('vault');
const prefix = uniquePrefix('hygiene');
const PLAINTEXT = 'card-4111-1111-1111-1111-expires-12-29';
const TOKEN_RW = 'hygiene-writer-token-5b9d2e71c4';
const TOKEN_READ = 'hygiene-reader-token-8f1a6c03d2';
const running: RunningServer[] = [];
const logs: string[] = [];
afterAll(async () => {
  await Promise.all(running.map((server) => server.shutdown(500)));
});

async function serve(vaultAddr: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hygiene-'));
  const tokensFile = join(dir, 'tokens.json');
  writeFileSync(
    tokensFile,
    JSON.stringify({
      [TOKEN_RW]: { subject: 'writer', permissions: ['default:write'] },
      [TOKEN_READ]: { subject: 'reader', permissions: ['default:read'] },
    }),
  );
  const config = loadConfig({ VAULT_ADDR: vaultAddr, VAULT_TOKEN: vault.token, LOG_LEVEL: 'debug' }, [
    '--port',
    '0',
    '--vault-key-prefix',
    prefix,
    '--auth',
    'static',
    '--auth-tokens-file',
    tokensFile,
  ]);
  const server = await startServer({
    deps: await createServerDeps(config, { logDestination: { write: (line: string) => void logs.push(line) } }),
  });
  running.push(server);
  return server;
}

describe('log and error hygiene of a full run', () => {
  it('never writes key bytes, tokens or plaintext to logs, metrics or responses', async () => {
    await new VaultKvStore({
      client: new VaultClient({ endpoint: vault.addr, token: vault.token }),
      pathPrefix: prefix,
    }).createKey('default');
    const server = await serve(vault.addr);
    const dead = await serve('http://127.0.0.1:9');
    const bodies: string[] = [];
    const call = async (base: string, path: string, body: unknown, token?: string, namespace = 'default') => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Namespace': namespace,
          ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      bodies.push(text, JSON.stringify([...response.headers]));
      return { status: response.status, text };
    };

    const encoded = await call(server.url, '/encode', { payloads: [jsonPayloadJson(PLAINTEXT)] }, TOKEN_RW);
    expect(encoded.status).toBe(200);
    const sealed = JSON.parse(encoded.text) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect((await call(server.url, '/decode', sealed, TOKEN_READ)).text).toContain(b64(JSON.stringify(PLAINTEXT)));
    const tampered = { payloads: [{ ...sealed.payloads[0]!, data: `A${sealed.payloads[0]!.data.slice(1)}` }] };
    expect((await call(server.url, '/decode', tampered, TOKEN_READ)).status).toBe(200);
    expect((await call(server.url, '/encode', { payloads: [jsonPayloadJson(PLAINTEXT)] }, TOKEN_READ)).status).toBe(
      403,
    );
    expect((await call(server.url, '/decode', sealed, `${TOKEN_READ}x`)).status).toBe(401);
    expect((await call(server.url, '/decode', sealed, TOKEN_RW, 'orders')).status).toBe(403);
    expect((await call(server.url, '/decode', `{"payloads":[{"data":"${PLAINTEXT}!"}]}`, TOKEN_READ)).status).toBe(400);
    expect((await call(server.url, '/decode', `{"payloads":["${PLAINTEXT}"`, TOKEN_READ)).status).toBe(400);
    expect((await call(dead.url, '/decode', sealed, TOKEN_READ)).status).toBe(503);
    expect((await call(dead.url, '/encode', { payloads: [jsonPayloadJson(PLAINTEXT)] }, TOKEN_RW)).status).toBe(503);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    await fetch(`${dead.url}/readyz`).then((r) => r.text());

    const secret = await new VaultClient({ endpoint: vault.addr, token: vault.token }).request<{
      data: { data: { key: string } };
    }>('GET', `/secret/data/${prefix}default`);
    const key = Buffer.from(secret!.data.data.key, 'base64');
    const forbidden = {
      'key (base64)': key.toString('base64'),
      'key (hex)': key.toString('hex'),
      'key (base64url)': key.toString('base64url'),
      'vault token': vault.token,
      'writer token': TOKEN_RW,
      'reader token': TOKEN_READ,
      plaintext: PLAINTEXT,
      'plaintext (base64 of the JSON payload)': b64(JSON.stringify(PLAINTEXT)),
    };
    const logText = logs.join('\n');
    expect(logs.length).toBeGreaterThan(10);
    expect(logText).toContain('"log":"audit"');
    for (const [name, value] of Object.entries(forbidden)) {
      expect(logText.includes(value), `logs contain the ${name}`).toBe(false);
      expect(metrics.includes(value), `metrics contain the ${name}`).toBe(false);
    }
    // Responses legitimately carry the plaintext to an authorized decoder; nothing else.
    const responses = bodies.join('\n');
    for (const [name, value] of Object.entries(forbidden)) {
      if (name.startsWith('plaintext')) continue;
      expect(responses.includes(value), `responses contain the ${name}`).toBe(false);
    }
  });
});
