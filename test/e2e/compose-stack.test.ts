import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, VaultClient, VaultKvStore } from '../../codec/index.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec } from '../../worker-example/create-codec.js';
import type { OrderRun } from '../../worker-example/client.js';
import { freePort } from '../../harness/free-port.js';
import {
  spawnProcess,
  stopProcess,
  tempLogFile,
  waitUntil,
  type ManagedProcess,
} from '../../harness/managed-process.js';
import { OpenBaoServer } from '../../harness/openbao-server.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  connectClients,
  decodeWithCodecServer,
  eventAttributes,
  fetchHistoryEvents,
  keyVersionOf,
  payloadText,
  type TestClients,
} from '../support/temporal-fixtures.js';
import { projectRoot, resolveTool } from '../../harness/tools.js';
import { jsonPayload, jsonValue } from '../support/vault-fixtures.js';
import { loadCompose } from './compose-file.js';

// The compose stack without Docker: the programs of docker-compose.yml, compiled as the Dockerfile compiles them
// (`tsc -p tsconfig.build.json`), run as child processes with the environment compose gives them. Only the host names
// change (openbao:8200 and temporal:7233 become this file's own servers on loopback ports).
const compose = loadCompose();
const buildDir = resolve(projectRoot, 'test-artifacts', 'compose-stack-build');
const built = (path: string): string => resolve(buildDir, path);

let vault: OpenBaoServer;
let server: TemporalDevServer;
const children: ManagedProcess[] = [];
let clients: TestClients | undefined;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolveRun) => {
    execFile(
      command,
      args,
      { env, cwd: projectRoot, timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) => {
        resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** A service's compose environment, pointed at this file's servers, plus the few variables a process needs. */
function serviceEnv(name: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const local = Object.fromEntries(
    Object.entries(compose.services[name]?.environment ?? {}).map(([key, value]) => [
      key,
      value.replace('http://openbao:8200', vault.addr).replace('temporal:7233', server.address),
    ]),
  );
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...local, ...overrides };
}

const rootToken = (): Record<string, string> => ({ BAO_TOKEN: vault.token });

beforeAll(async () => {
  rmSync(buildDir, { recursive: true, force: true });
  const tsc = resolve(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const [build, bao, dev] = await Promise.all([
    run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', buildDir], process.env, 120_000),
    OpenBaoServer.startDev(),
    startTemporalDevServer(),
  ]);
  vault = bao;
  server = dev;
  expect(build, `tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await Promise.all(children.map((child) => stopProcess(child, { signal: 'SIGKILL' })));
  await clients?.close();
  await server?.stop();
  await vault?.stop();
  rmSync(buildDir, { recursive: true, force: true });
});

describe('the compose stack, run without Docker', () => {
  it('initialises OpenBao as the openbao-init and create-key services do, and both can run again', async () => {
    const initEnv = serviceEnv('openbao-init', {
      ...rootToken(),
      POLICY_DIR: resolve(projectRoot, 'policies'),
      BAO_BIN: resolveTool('bao'),
    });
    const keyEnv = serviceEnv('create-key', { ADMIN_CLI: built('admin/main.js') });

    const init = await run('sh', ['deploy/openbao/init.sh'], initEnv);
    expect(init, init.stderr).toMatchObject({ code: 0 });
    expect(init.stdout).toContain('token for worker: created');
    const key = await run('sh', ['deploy/create-key.sh'], keyEnv);
    expect(key, key.stderr).toMatchObject({ code: 0 });
    expect(key.stdout).toContain('key for namespace default: created');

    const again = await run('sh', ['deploy/openbao/init.sh'], initEnv);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('token for worker: exists');
    const keyAgain = await run('sh', ['deploy/create-key.sh'], keyEnv);
    expect(keyAgain).toMatchObject({ code: 0 });
    expect(keyAgain.stdout).toContain('key for namespace default: exists');
  });

  it('gives each service token its policy: worker and codec server read keys, only the key admin writes them', async () => {
    const store = (token: string) =>
      new VaultKvStore({ client: new VaultClient({ endpoint: vault.addr, token, retries: 0 }) });
    const tokens = serviceEnv('openbao-init');
    for (const token of [tokens.WORKER_VAULT_TOKEN!, tokens.CODEC_SERVER_VAULT_TOKEN!]) {
      await expect(store(token).readLatest('default')).resolves.toMatchObject({ version: 1 });
      await expect(store(token).rotateKey('default')).rejects.toMatchObject({ code: ERROR_CODES.keySourceDenied });
    }
    await expect(store(tokens.KEY_ADMIN_VAULT_TOKEN!).readLatest('default')).rejects.toMatchObject({
      code: ERROR_CODES.keySourceDenied,
    });

    const worker = createCodec(loadExampleConfig(serviceEnv('worker')));
    try {
      const [sealed] = await worker.codec.encode([jsonPayload('with the worker token')]);
      expect(jsonValue((await worker.codec.decode([sealed!]))[0])).toBe('with the worker token');
    } finally {
      await worker.close();
    }
  });

  it('runs the compiled codec server, worker and client with their compose environment', async () => {
    const codecPort = await freePort();
    const codecServer = spawnProcess(process.execPath, [built('codec-server/main.js')], {
      logFile: tempLogFile('compose-codec-server'),
      env: serviceEnv('codec-server', { HOST: '127.0.0.1', PORT: String(codecPort) }),
      cwd: projectRoot,
    });
    const worker = spawnProcess(process.execPath, [built('worker-example/run-worker.js')], {
      logFile: tempLogFile('compose-worker'),
      env: serviceEnv('worker'),
      cwd: projectRoot,
    });
    children.push(codecServer, worker);
    const codecUrl = `http://127.0.0.1:${codecPort}`;
    await waitUntil(async () => ((await fetch(`${codecUrl}/readyz`)).ok ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the compiled codec server to be ready',
      abortIf: () => (codecServer.running ? undefined : `codec server exited, see ${codecServer.logFile}`),
    });

    const client = await run(process.execPath, [built('worker-example/run-client.js')], serviceEnv('client'));
    expect(client, `${client.stderr}\nworker log: ${worker.logFile}`).toMatchObject({ code: 0 });
    const result = JSON.parse(client.stdout) as OrderRun;
    expect(result.receipt).toMatchObject({
      customer: 'Ada Lovelace',
      approvedBy: 'Charles Babbage',
      cardLast4: '4242',
    });
    expect(result.finalStatus).toMatchObject({ stage: 'completed', approver: 'Charles Babbage' });

    // The server holds ciphertext; the codec server turns it back into the order.
    const codec = createCodec(loadExampleConfig(serviceEnv('worker')));
    clients = await connectClients(server.address, server.namespace, codec.codec);
    await codec.close();
    const events = await fetchHistoryEvents(clients.rawClient, result.workflowId, result.runId);
    const input = eventAttributes(events, 'workflowExecutionStartedEventAttributes').input!.payloads![0]!;
    expect(keyVersionOf(input)).toBe(1);
    expect(payloadText(input)).not.toContain('Ada Lovelace');
    const decoded = await decodeWithCodecServer(codecUrl, 'default', [input]);
    expect(JSON.parse(payloadText(decoded.payloads[0]!))).toMatchObject({ customer: 'Ada Lovelace' });

    // Both shut down cleanly on SIGTERM, as `docker compose stop` asks them to.
    expect(await stopProcess(worker, { signal: 'SIGTERM', timeoutMs: 20_000 })).toEqual({ code: 0, signal: null });
    expect(await stopProcess(codecServer, { signal: 'SIGTERM', timeoutMs: 20_000 })).toEqual({ code: 0, signal: null });
  });

  it('makes the compiled worker exit non-zero at start-up when OpenBao is unreachable or its configuration incomplete', async () => {
    const closedPort = await freePort();
    const unreachable = await run(
      process.execPath,
      [built('worker-example/run-worker.js')],
      serviceEnv('worker', { VAULT_ADDR: `http://127.0.0.1:${closedPort}`, VAULT_RETRIES: '0' }),
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(ERROR_CODES.keySourceUnavailable);

    const incomplete = await run(
      process.execPath,
      [built('worker-example/run-worker.js')],
      serviceEnv('worker', { VAULT_TOKEN: '' }),
    );
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toContain(ERROR_CODES.invalidConfig);
    expect(incomplete.stderr).toContain('VAULT_TOKEN');
  });
});
