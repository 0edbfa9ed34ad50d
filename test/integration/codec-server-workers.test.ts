import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VaultClient, VaultKvStore } from '../../codec/index.js';
import { jsonPayloadJson, valueOfJsonPayload } from '../../harness/codec-server-harness.js';
import { freePort } from '../../harness/free-port.js';
import { waitUntil } from '../../harness/managed-process.js';
import { projectRoot } from '../../harness/tools.js';
import { uniquePrefix } from '../support/vault-fixtures.js';

// `--workers 2`: the compiled command forks two server processes sharing one port. Proves they serve, that a killed
// worker is replaced, and that SIGTERM drains and exits cleanly. Built into its own folder so that it never races
// other files over dist/.

const run = promisify(execFile);
const vault = inject('vault');
const prefix = uniquePrefix('workers');
const buildDir = resolve(projectRoot, 'test-artifacts', 'workers-build');
let primary: ChildProcess | undefined;
let primaryStderr = '';
let url = '';

async function post(path: string, payloads: unknown[]): Promise<Array<{ data?: string }>> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
    body: JSON.stringify({ payloads }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { payloads: Array<{ data?: string }> }).payloads;
}

/** One request on a connection of its own, so that node:cluster's round robin spreads them over the workers. */
function onNewConnection(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolveRequest, rejectRequest) => {
    const req = request(
      `${url}${path}`,
      { method, agent: false, headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolveRequest({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', rejectRequest);
    req.end(body);
  });
}

async function workerPids(): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(primary!.pid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

beforeAll(async () => {
  rmSync(buildDir, { recursive: true, force: true });
  const tsc = resolve(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', buildDir], {
    cwd: projectRoot,
    timeout: 180_000,
  });
  await new VaultKvStore({
    client: new VaultClient({ endpoint: vault.addr, token: vault.token }),
    pathPrefix: prefix,
  }).createKey('default');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  primary = spawn(
    process.execPath,
    [
      resolve(buildDir, 'codec-server/main.js'),
      '--port',
      String(port),
      '--vault-addr',
      vault.addr,
      '--vault-key-prefix',
      prefix,
      '--workers',
      '2',
      '--shutdown-grace-ms',
      '2000',
    ],
    { env: { PATH: process.env.PATH, VAULT_TOKEN: vault.token }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  primary.stderr!.setEncoding('utf8').on('data', (chunk: string) => (primaryStderr += chunk));
  await waitUntil(async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok ? true : undefined), {
    timeoutMs: 30_000,
    description: 'the codec server workers to listen',
  });
  await waitUntil(async () => ((await workerPids()).length === 2 ? true : undefined), {
    timeoutMs: 10_000,
    description: 'two workers',
  });
}, 240_000);
afterAll(() => {
  primary?.kill('SIGKILL');
});

describe('codec server with --workers 2', () => {
  it('answers /metrics for all workers, whichever one serves the scrape', async () => {
    const [sealed] = await post('/encode', [jsonPayloadJson('counted')]);
    const body = JSON.stringify({ payloads: [sealed] });
    for (let i = 0; i < 20; i++) expect((await onNewConnection('POST', '/decode', body)).status).toBe(200);
    for (let scrape = 0; scrape < 4; scrape++) {
      const { status, text } = await onNewConnection('GET', '/metrics');
      expect(status).toBe(200);
      const decoded = /^codec_server_http_requests_total\{route="decode",status="200"\} (\d+)$/m.exec(text);
      expect(Number(decoded?.[1])).toBe(20);
      const payloads = /^codec_server_payloads_total\{route="decode"\} (\d+)$/m.exec(text);
      expect(Number(payloads?.[1])).toBe(20);
    }
  });

  it('serves from two processes, replaces a killed worker, and drains on SIGTERM', async () => {
    const [sealed] = await post('/encode', [jsonPayloadJson('shared port')]);
    for (let i = 0; i < 20; i++) expect(valueOfJsonPayload((await post('/decode', [sealed]))[0])).toBe('shared port');

    const [victim] = await workerPids();
    process.kill(victim!, 'SIGKILL');
    await waitUntil(
      async () => {
        const pids = await workerPids();
        return pids.length === 2 && !pids.includes(victim!) ? true : undefined;
      },
      { timeoutMs: 15_000, description: 'the killed worker to be replaced' },
    );
    for (let i = 0; i < 20; i++) expect(valueOfJsonPayload((await post('/decode', [sealed]))[0])).toBe('shared port');

    const exited = new Promise<number | null>((resolveExit) => primary!.once('exit', (code) => resolveExit(code)));
    primary!.kill('SIGTERM');
    // Exit 0 only when every worker exited by itself within its grace period: none had to be killed by the primary.
    expect(await exited).toBe(0);
    expect(primaryStderr).not.toContain('did not exit within the grace period');
  });
});

describe('the compiled command and the AES-GCM implementation', () => {
  const main = () => resolve(buildDir, 'codec-server/main.js');

  it.each([
    ['auto', 'native'],
    ['off', 'node:crypto'],
    ['require', 'native'],
  ])('--native-aes-gcm %s: the line it prints at start says AES-GCM %s', async (mode, implementation) => {
    const keyring = resolve(buildDir, 'aead-keyring.json');
    const server = spawn(process.execPath, [main(), '--port', '0', '--keyring', keyring, '--native-aes-gcm', mode], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    server.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    try {
      await waitUntil(() => Promise.resolve(stderr.includes('listening on') ? true : undefined), {
        timeoutMs: 20_000,
        description: 'the server to listen',
      });
      expect(stderr).toMatch(new RegExp(`listening on http://\\S+ \\(.*; AES-GCM ${implementation}\\)`));
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('writes every audit line (buffered on stdout) before it exits on SIGTERM', async () => {
    const keyring = resolve(buildDir, 'audit-keyring.json');
    const port = await freePort();
    const server = spawn(process.execPath, [main(), '--port', String(port), '--keyring', keyring], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolveExit) => server.once('exit', (code) => resolveExit(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitUntil(async () => ((await fetch(`${base}/healthz`).catch(() => undefined))?.ok ? true : undefined), {
        timeoutMs: 20_000,
        description: 'the server to listen',
      });
      const headers = { 'Content-Type': 'application/json', 'X-Namespace': 'default' };
      const sealed = await fetch(`${base}/encode`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ payloads: [jsonPayloadJson('audited')] }),
      });
      const body = await sealed.text();
      for (let i = 0; i < 50; i++) {
        expect((await fetch(`${base}/decode`, { method: 'POST', headers, body })).status).toBe(200);
      }
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
      const audit = stdout
        .split('\n')
        .filter((line) => line.includes('"log":"audit"'))
        .map((line) => JSON.parse(line) as { route: string });
      expect(audit.filter((line) => line.route === 'decode')).toHaveLength(50);
      expect(audit.filter((line) => line.route === 'encode')).toHaveLength(1);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('refuses to start, exit 2, on a --native-aes-gcm it does not know', async () => {
    const failed = await run(process.execPath, [main(), '--port', '0'], {
      env: { PATH: process.env.PATH, CODEC_NATIVE_AES_GCM: 'sometimes' },
      timeout: 20_000,
    }).catch((err: { code?: number; stderr?: string }) => err);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain(
      '--native-aes-gcm (CODEC_NATIVE_AES_GCM): must be one of auto, off, require',
    );
  });
});
