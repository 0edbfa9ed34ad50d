import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { METADATA_KEYS, VaultClient, VaultKvStore, type VaultMethod } from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { jsonPayloadJson } from '../../harness/codec-server-harness.js';
import { only, podEnvironment, renderChart } from '../support/helm-chart.js';
import { projectRoot } from '../../harness/tools.js';

// The chart's KV + AppRole + static tokens example with https at the pod, rendered by helm, and its pod started as the
// kubelet would start it (minus Kubernetes): the rendered environment, the Secrets written where the pod mounts
// them, against a real OpenBao with a real AppRole. Only the address to bind and Vault's address are this machine's.
const vault = inject('vault');
const admin = new VaultClient({ endpoint: vault.addr, token: vault.token });
const root = <T>(method: VaultMethod, path: string, body?: object): Promise<T | undefined> =>
  admin.request<T>(method, path, body);
const work = mkdtempSync(join(tmpdir(), 'codec-helm-pod-'));
const tls = join(projectRoot, 'test', 'fixtures', 'tls');
const ca = readFileSync(join(tls, 'localhost-cert.pem'));
const namespace = `helm-${randomUUID().slice(0, 8)}`;
const writerToken = `helm-writer-${randomUUID()}`;
let server: RunningServer;

function call(path: string, body?: unknown, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-namespace': namespace };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const req = httpsRequest(
      `${server.url}${path}`,
      { method: body === undefined ? 'GET' : 'POST', ca, servername: 'localhost', headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  // What an operator sets up: an AppRole with the shipped codec-server policy, and the namespace's key.
  const approle = `approle-${namespace}`;
  await root('POST', `/sys/auth/${approle}`, { type: 'approle' });
  await root('PUT', '/sys/policies/acl/helm-codec-server', {
    policy: readFileSync(join(projectRoot, 'policies', 'codec-server.hcl'), 'utf8'),
  });
  await root('POST', `/auth/${approle}/role/codec`, { token_policies: ['helm-codec-server'], token_ttl: '10m' });
  const roleId = (await root<{ data: { role_id: string } }>('GET', `/auth/${approle}/role/codec/role-id`))?.data;
  const secretId = (await root<{ data: { secret_id: string } }>('POST', `/auth/${approle}/role/codec/secret-id`))?.data;
  await new VaultKvStore({ client: admin, pathPrefix: 'temporal-codec/' }).createKey(namespace);

  const rendered = await renderChart({
    valuesFiles: ['kv-approle-static-values.yaml'],
    set: [
      `vault.addr=${vault.addr}`,
      `vault.auth.mount=${approle}`,
      'tls.enabled=true',
      'tls.existingSecret=codec-tls',
      'workers=1',
    ],
  });
  expect(rendered.code, rendered.stderr).toBe(0);
  const tokens = { [writerToken]: { subject: 'ci', permissions: [`${namespace}:write`] } };
  const env = podEnvironment(
    only(rendered.manifests, 'Deployment'),
    {
      secrets: {
        'codec-tls': {
          'tls.crt': ca.toString(),
          'tls.key': readFileSync(join(tls, 'localhost-key.pem'), 'utf8'),
        },
        'temporal-codec-server-approle': { 'role-id': roleId?.role_id ?? '', 'secret-id': secretId?.secret_id ?? '' },
        'temporal-codec-server-tokens': { 'tokens.json': JSON.stringify(tokens) },
      },
    },
    work,
  );
  const config = loadConfig({ ...env, HOST: '127.0.0.1', PORT: '0' }, []);
  server = await startServer({ deps: await createServerDeps(config, { logDestination: { write: () => undefined } }) });
});

afterAll(async () => {
  await server?.shutdown(100);
  rmSync(work, { recursive: true, force: true });
});

describe("the chart's pod, started from its rendered environment", () => {
  it('serves https and is ready: it logged in with AppRole from the mounted Secret', async () => {
    expect(server.url).toMatch(/^https:/);
    expect(await call('/readyz')).toEqual({ status: 200, body: '{"status":"ok"}' });
  });

  it('encodes with the key from Vault KV for a token of the mounted tokens file, and refuses a request without one', async () => {
    const sealed = await call('/encode', { payloads: [jsonPayloadJson('hello')] }, writerToken);
    expect(sealed.status).toBe(200);
    const payload = (JSON.parse(sealed.body) as { payloads: Array<{ metadata: Record<string, string> }> }).payloads[0];
    expect(Buffer.from(payload?.metadata[METADATA_KEYS.keyId] ?? '', 'base64').toString()).toBe(namespace);
    expect((await call('/encode', { payloads: [jsonPayloadJson('x')] })).status).toBe(401);
  });
});
