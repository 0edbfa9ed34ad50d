import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Payload } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_ERROR_CODES } from '../../admin/admin-error.js';
import { EXIT_CODES } from '../../admin/exit-codes.js';
import { runCli } from '../../admin/run-cli.js';
import { HISTORY_PAGE_SIZE, WORKFLOW_QUERIES } from '../../admin/usage/scan-workflows.js';
import type { UsageResult } from '../../admin/usage/usage-command.js';
import { forEachBounded } from '../../admin/usage/bounded-pool.js';
import {
  EncryptionCodec,
  ERROR_CODES,
  VaultClient,
  VaultTransitKeyProvider,
  type KeyProvider,
} from '../../codec/index.js';
import { runAdmin } from '../support/admin-cli.js';
import { waitUntil } from '../../harness/managed-process.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import { eventAttributes, fetchHistoryEvents } from '../support/temporal-fixtures.js';

// keys usage on a namespace with 1,000 open workflows (no worker: a started workflow stays open), keys in Vault
// Transit: a bounded number of API calls per workflow, progress on stderr, safe to interrupt; destroy refused while
// 500 of them need version 1, and allowed (Transit's min_decryption_version raised) once they are terminated.
const NS = 'default';
const PER_VERSION = 500;
const vault = inject('vault');
const vaultEnv = { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token };
const transitMount = `transit-usage-${randomBytes(4).toString('hex')}`;
const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

let server: TemporalDevServer;
let connection: Connection;
let client: Client;
let rawClient: Client;
const providers: KeyProvider[] = [];
const v1Ids: string[] = [];

function transitProvider(): VaultTransitKeyProvider {
  const vaultClient = new VaultClient({ endpoint: vault.addr, token: vault.token, retries: 1, backoffMs: 10 });
  const provider = new VaultTransitKeyProvider({ client: vaultClient, mount: transitMount, dataKeyMaxAgeMs: 300 });
  providers.push(provider);
  return provider;
}

/** `temporal-codec` on the test's Transit key; the commands that read Temporal get the dev server's address. */
function admin(args: string[]) {
  const readsTemporal = ['usage', 'deactivate', 'destroy'].includes(args[1] ?? '');
  const temporal = readsTemporal ? ['--temporal-address', server.address] : [];
  return runAdmin(
    [...args, '-n', NS, '--source', 'vault-transit', '--vault-transit-mount', transitMount, ...temporal],
    vaultEnv,
  );
}

/** Starts `count` workflows that wait for a signal no one sends (no worker polls their task queue). */
async function startWaiting(label: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `usage-${label}-${String(i).padStart(4, '0')}`);
  await forEachBounded(ids, 25, async (workflowId) => {
    await client.workflow.start('waitForApproval', {
      taskQueue: 'nobody-polls-this',
      workflowId,
      args: [{ order: workflowId }],
      memo: { label },
    });
  });
  return ids;
}

async function openCount(): Promise<number> {
  const { count } = await rawClient.workflowService.countWorkflowExecutions({
    namespace: NS,
    query: WORKFLOW_QUERIES.open,
  });
  return Number(String(count));
}

async function untilOpen(expected: number): Promise<void> {
  await waitUntil(async () => ((await openCount()) === expected ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 250,
    description: `visibility to list ${expected} open workflows`,
  });
}

beforeAll(async () => {
  const mounted = await fetch(`${vault.addr}/v1/sys/mounts/${transitMount}`, {
    method: 'POST',
    headers: { 'x-vault-token': vault.token },
    body: JSON.stringify({ type: 'transit' }),
  });
  expect(mounted.ok).toBe(true);
  server = await startTemporalDevServer({ headless: true });
  expect((await admin(['keys', 'create'])).code).toBe(EXIT_CODES.ok);
  const provider = transitProvider();
  const codec = new EncryptionCodec({ namespace: NS, keyProvider: provider });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: NS, dataConverter: { payloadCodecs: [codec] } });
  rawClient = new Client({ connection, namespace: NS });

  v1Ids.push(...(await startWaiting('v1', PER_VERSION)));
  expect((await admin(['keys', 'rotate'])).code).toBe(EXIT_CODES.ok);
  await waitUntil(
    async () => ((await provider.encryptionKey({ namespace: NS, keyId: NS }, 1)).version === 2 ? true : undefined),
    {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'the client to seal with version 2',
    },
  );
  await startWaiting('v2', PER_VERSION);
  await untilOpen(2 * PER_VERSION);
}, 300_000);

afterAll(async () => {
  await connection?.close();
  await Promise.all(providers.map((p) => p.close()));
  await server?.stop();
});

describe('keys usage on 1,000 open workflows (Vault Transit)', () => {
  it('counts every payload per version with one history read per workflow, and prints progress', async () => {
    const result = await admin(['keys', 'usage', '--json']);
    expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
    const usage = result.json<UsageResult>();
    expect(usage.rows.map((r) => [r.version, r.state, r.open.subjects, r.open.payloads])).toEqual([
      [1, 'active', PER_VERSION, 2 * PER_VERSION],
      [2, 'active', PER_VERSION, 2 * PER_VERSION],
    ]);
    // The bound: per workflow, one GetWorkflowExecutionHistory per 1,000 events (these have 2); per scan, one count,
    // ceil(N / 1,000) list pages (+1 when the server hands out a last, empty page), one namespace and one schedule
    // listing.
    const { apiCalls, apiCallsTotal, maxHistoryPagesPerRun } = usage.report;
    expect(HISTORY_PAGE_SIZE).toBe(1000);
    expect(apiCalls.getWorkflowExecutionHistory).toBe(2 * PER_VERSION);
    expect(maxHistoryPagesPerRun).toBe(1);
    expect(apiCalls.listWorkflowExecutions).toBeLessThanOrEqual(2);
    expect(apiCalls).toMatchObject({ countWorkflowExecutions: 1, describeNamespace: 1, listSchedules: 1 });
    expect(apiCallsTotal).toBeLessThanOrEqual(2 * PER_VERSION + 5);

    const progress = result.stderr.split('\n').filter((line) => line.startsWith('keys usage: open workflows '));
    const done = progress.map((line) => Number(/ (\d+)\/1000/.exec(line)?.[1]));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe('keys usage: open workflows 1000/1000 done');
  });

  it('stops at once when interrupted, with ERR_INTERRUPTED (exit 130) and no report', async () => {
    const interrupt = new AbortController();
    const out: string[] = [];
    const code = await runCli(
      ['keys', 'usage', '-n', NS, '--json', '--source', 'vault-transit', '--vault-transit-mount', transitMount],
      {
        env: { ...vaultEnv, TEMPORAL_ADDRESS: server.address },
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: (s: string) => (s.includes('open workflows 1') ? interrupt.abort() : undefined) },
        signal: interrupt.signal,
      },
    );
    expect(interrupt.signal.aborted).toBe(true);
    expect(code).toBe(EXIT_CODES.interrupted);
    expect(JSON.parse(out.join(''))).toMatchObject({ error: { code: ADMIN_ERROR_CODES.interrupted, exitCode: 130 } });
  });

  it('refuses to destroy version 1 while 500 open workflows need it; Transit keeps every version', async () => {
    const refused = await admin(['keys', 'destroy', '--version', '1', '--yes', '--json']);
    expect(refused.code).toBe(EXIT_CODES.refused);
    const error = refused.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe(ADMIN_ERROR_CODES.keyVersionInUse);
    expect(error.message).toMatch(/is still needed by 500 open workflows \(usage-v1-\d{4}, /);
    const described = (await admin(['keys', 'describe', '--json'])).json<{
      description: { versions: Array<{ state: string }> };
    }>();
    expect(described.description.versions.map((v) => v.state)).toEqual(['active', 'active']);
  });

  it('reads Temporal over mutual TLS with the temporal CLI flags', async () => {
    const proxy = await startMutualTlsProxy(server.address);
    try {
      const result = await runAdmin(
        [
          'keys',
          'usage',
          '-n',
          NS,
          '--json',
          '--temporal-address',
          `127.0.0.1:${proxy.port}`,
          '--tls-ca-path',
          join(TLS_DIR, 'localhost-cert.pem'),
          '--tls-cert-path',
          join(TLS_DIR, 'localhost-cert.pem'),
          '--tls-key-path',
          join(TLS_DIR, 'localhost-key.pem'),
          '--tls-server-name',
          'localhost',
          '--source',
          'vault-transit',
          '--vault-transit-mount',
          transitMount,
        ],
        vaultEnv,
      );
      expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
      expect(result.json<UsageResult>().report.totals.open?.subjects).toBe(2 * PER_VERSION);
      expect(proxy.authorizedClients()).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it('destroys version 1 once its workflows are closed: min_decryption_version moves past it, and its payloads are shredded', async () => {
    await forEachBounded(v1Ids, 25, async (workflowId) => {
      await client.workflow.getHandle(workflowId).terminate('retiring v1');
    });
    await untilOpen(PER_VERSION);
    const destroyed = await admin(['keys', 'destroy', '--version', '1', '--yes', '--json']);
    expect(destroyed.code, destroyed.stderr).toBe(EXIT_CODES.ok);
    expect(destroyed.json()).toMatchObject({
      action: 'destroyed',
      plan: {
        changes: expect.arrayContaining([
          "min_decryption_version -> 2; versions up to 1 trimmed from Vault's storage",
        ]) as unknown,
      },
    });
    const states = (await admin(['keys', 'describe', '--json'])).json<{
      description: { versions: Array<{ state: string }> };
    }>();
    expect(states.description.versions.map((v) => v.state)).toEqual(['destroyed', 'active']);

    const events = await fetchHistoryEvents(rawClient, v1Ids[0]!);
    const input = eventAttributes(events, 'workflowExecutionStartedEventAttributes').input!.payloads![0] as Payload;
    const cold = new EncryptionCodec({ namespace: NS, keyProvider: transitProvider() });
    const [settled] = await cold.decodeSettled([input]);
    expect(settled).toMatchObject({ ok: false, error: { code: ERROR_CODES.keyVersionDestroyed } });
  });
});

/**
 * A TLS endpoint in front of the dev server that demands a client certificate signed by the test CA, and forwards
 * the decrypted HTTP/2 bytes to the plaintext frontend.
 */
async function startMutualTlsProxy(target: string) {
  const [host, port] = target.split(':') as [string, string];
  const cert = readFileSync(join(TLS_DIR, 'localhost-cert.pem'));
  let authorized = 0;
  const sockets = new Set<Socket>();
  const tls: Server = createServer(
    {
      cert,
      key: readFileSync(join(TLS_DIR, 'localhost-key.pem')),
      ca: cert,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (secure) => {
      if (secure.authorized) authorized++;
      const upstream = connect(Number(port), host);
      sockets.add(secure).add(upstream);
      secure.pipe(upstream).pipe(secure);
      const close = () => {
        secure.destroy();
        upstream.destroy();
      };
      secure.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    },
  );
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  return {
    port: (tls.address() as { port: number }).port,
    authorizedClients: () => authorized,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        tls.close(() => resolve());
      }),
  };
}
