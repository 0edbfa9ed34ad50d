import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jsonPayloadJson, valueOfJsonPayload } from '../../harness/codec-server-harness.js';
import { compileSources } from '../support/compiled-sources.js';
import { freePort } from '../../harness/free-port.js';
import { waitUntil } from '../../harness/managed-process.js';
import { rootRequester } from '../support/vault-fixtures.js';

// `DEBUG=*` (or `DEBUG=node-vault`) turns on the `debug` output of every library that uses it, node-vault included,
// which logs each request body it sends: key material written by the admin CLI, AppRole secret ids at login. The
// compiled admin CLI and codec server run here as users run them, with DEBUG set before anything is imported, against
// OpenBao; nothing they print may contain a key, a token, a secret id or the plaintext.

const vault = inject('vault');
const root = rootRequester(vault);
const suffix = randomBytes(4).toString('hex');
const prefix = `debug-${suffix}/`;
const approleMount = `approle-debug-${suffix}`;
const policy = `debug-output-${suffix}`;
const PLAINTEXT = `debug-plaintext-${randomBytes(6).toString('hex')}`;
let build = '';
let roleId = '';
let secretId = '';

/** Environment of a child: PATH and the given variables only, DEBUG=* always. */
function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, DEBUG: '*', DEBUG_DEPTH: '10', ...vars };
}

/** Runs the compiled admin CLI to completion; returns its exit code and everything it printed. */
function admin(args: string[], vars: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [resolve(build, 'admin/main.js'), ...args], { env: childEnv(vars) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, output }));
  });
}

beforeAll(async () => {
  build = await compileSources('debug-output', ['admin/main.ts', 'codec-server/main.ts']);
  await root('POST', `sys/auth/${approleMount}`, { type: 'approle' });
  await root('PUT', `sys/policies/acl/${policy}`, {
    policy: [
      `path "secret/data/${prefix}*" { capabilities = ["create", "read", "update"] }`,
      `path "secret/metadata/${prefix}*" { capabilities = ["create", "read", "update", "list"] }`,
    ].join('\n'),
  });
  await root('POST', `auth/${approleMount}/role/debug`, { token_policies: ['default', policy], token_ttl: '10m' });
  roleId = (await root<{ data: { role_id: string } }>('GET', `auth/${approleMount}/role/debug/role-id`)).data.role_id;
  secretId = (await root<{ data: { secret_id: string } }>('POST', `auth/${approleMount}/role/debug/secret-id`)).data
    .secret_id;
}, 240_000);

const outputs: string[] = [];
afterAll(() => outputs.splice(0));

/** Every spelling of a secret that could show up in a log: as is, base64 of it, and for key bytes hex and base64url. */
function spellings(secret: string, bytes?: Buffer): string[] {
  const forms = [secret, Buffer.from(secret).toString('base64')];
  if (bytes !== undefined) forms.push(bytes.toString('hex'), bytes.toString('base64url'), bytes.toString('base64'));
  return forms;
}

describe('DEBUG=* prints no secrets', () => {
  it('the admin CLI (AppRole and token) and the codec server (AppRole) print no key, token, secret id or plaintext', async () => {
    const vaultVars = { VAULT_ADDR: vault.addr, VAULT_KEY_PREFIX: prefix, KEY_SOURCE: 'vault-kv' };
    const approle = {
      VAULT_AUTH_METHOD: 'approle',
      VAULT_AUTH_MOUNT: approleMount,
      VAULT_ROLE_ID: roleId,
      VAULT_SECRET_ID: secretId,
    };
    const created = await admin(['keys', 'create', '--namespace', 'default'], { ...vaultVars, ...approle });
    expect(created.code, created.output).toBe(0);
    const rotated = await admin(['keys', 'rotate', '--namespace', 'default'], {
      ...vaultVars,
      VAULT_TOKEN: vault.token,
    });
    expect(rotated.code, rotated.output).toBe(0);
    outputs.push(created.output, rotated.output);

    const port = await freePort();
    const server = spawn(process.execPath, [resolve(build, 'codec-server/main.js'), '--port', String(port)], {
      env: childEnv({ ...vaultVars, ...approle }),
    });
    let serverOutput = '';
    server.stdout.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
    server.stderr.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
    const exited = new Promise((resolveExit) => server.on('close', resolveExit));
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), {
        timeoutMs: 30_000,
        description: 'the codec server to be ready',
        abortIf: () => (server.exitCode === null ? undefined : `exited: ${serverOutput}`),
      });
      const post = (path: string, payloads: unknown[]) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
          body: JSON.stringify({ payloads }),
        });
      const encoded = (await (await post('/encode', [jsonPayloadJson(PLAINTEXT)])).json()) as { payloads: unknown[] };
      const decoded = (await (await post('/decode', encoded.payloads)).json()) as {
        payloads: Array<{ data?: string }>;
      };
      expect(valueOfJsonPayload(decoded.payloads[0])).toBe(PLAINTEXT);
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
    outputs.push(serverOutput);

    // DEBUG output did run (so the scan below means something), and only the Vault namespaces were silenced: the
    // server's other libraries still print theirs.
    expect(serverOutput).toMatch(/ (express:application|router) /);

    const keys: Buffer[] = [];
    for (const version of [1, 2]) {
      const read = await root<{ data: { data: { key: string } } }>(
        'GET',
        `secret/data/${prefix}default?version=${version}`,
      );
      keys.push(Buffer.from(read.data.data.key, 'base64'));
    }
    const needles = new Map<string, string>();
    for (const [name, secret, bytes] of [
      ['key v1', keys[0]!.toString('base64'), keys[0]],
      ['key v2', keys[1]!.toString('base64'), keys[1]],
      ['root token', vault.token, undefined],
      ['AppRole secret id', secretId, undefined],
      ['plaintext', PLAINTEXT, undefined],
    ] as const) {
      for (const form of spellings(secret, bytes)) needles.set(form, name);
    }
    const found = outputs.flatMap((output, index) =>
      [...needles].filter(([form]) => output.includes(form)).map(([, name]) => `${name} in output #${index + 1}`),
    );
    expect([...new Set(found)]).toEqual([]);
  });
});
