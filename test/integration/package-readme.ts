import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTail, spawnProcess, stopProcess, tempLogFile, waitUntil } from '../../harness/managed-process.js';
import { OpenBaoServer } from '../../harness/openbao-server.js';
import type { PackedPackage } from '../support/packed-package.js';
import { readmeFiles, USER_OWN_FILES, USER_TSCONFIG, userPackageJson } from '../support/readme-project.js';
import type { CommandResult, ScratchNpm } from '../support/scratch-npm.js';
import {
  collectPayloads,
  fetchHistoryEvents,
  historyBytes,
  keyVersionOf,
  plaintextFound,
  type HistoryEvent,
} from '../support/temporal-fixtures.js';
import { runTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';

/** What package-from-npm.test.ts has set up: the packed package, the scratch npm, and its command runner. */
export interface PackageContext {
  readonly pkg: PackedPackage;
  readonly npm: ScratchNpm;
  readonly ok: (cwd: string, command: string, ...args: string[]) => Promise<CommandResult>;
}

/**
 * README.md's library code, in a user's project: its `<!-- file: -->` blocks written as they are, next to the
 * workflows and activities README.md leaves to the user, compiled by a strict TypeScript and run against a Temporal
 * dev server, on the local keyring and on Vault KV (OpenBao).
 */
export function describeReadmeProject(context: () => PackageContext): void {
  describe("README.md's code in a strict TypeScript project", () => {
    let dir: string;
    let dev: TemporalDevServer;
    let bao: OpenBaoServer;
    let raw: Client;
    const run = (command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
      context().npm.run(dir, command, args, { env: { TEMPORAL_ADDRESS: dev.address, ...env } });

    beforeAll(async () => {
      const { pkg, npm, ok } = context();
      const files = Object.fromEntries(readmeFiles());
      expect(Object.keys(files).sort()).toEqual(
        [
          'client.ts',
          'codec.ts',
          'commonjs.cts',
          'failure-converter.ts',
          'memory-store.ts',
          'ms.d.ts',
          'worker.ts',
        ].map((f) => `src/${f}`),
      );
      dir = npm.project('readme-user', userPackageJson(pkg.version), {
        ...files,
        ...USER_OWN_FILES,
        'tsconfig.json': JSON.stringify(USER_TSCONFIG, null, 2),
      });
      [dev, bao] = await Promise.all([startTemporalDevServer({ namespaces: ['orders'] }), OpenBaoServer.startDev()]);
      raw = new Client({ connection: await Connection.connect({ address: dev.address }), namespace: 'orders' });
      await ok(dir, 'npm', 'install');
    }, 600_000);

    afterAll(async () => {
      await raw?.connection.close();
      await Promise.all([dev?.stop(), bao?.stop()]);
    });

    it('compiles: strict, module nodenext, skipLibCheck false (the package needs no @types/express)', async () => {
      expect(existsSync(join(dir, 'node_modules', '@types', 'express'))).toBe(false);
      const tsc = await run('npx', ['tsc', '-p', '.']);
      expect(tsc.code, tsc.stdout).toBe(0);
    });

    it('MemoryKeyStore: seals and opens a value with no key set up', async () => {
      expect((await run('node', ['dist/memory-store.js'])).stdout.trim()).toBe("{ card: '4242' }");
    });

    it('CommonJS: require() and import() both load the package', async () => {
      const cjs = await run('node', ['dist/commonjs.cjs']);
      expect(cjs.stdout.trim().split('\n')).toEqual(['require: native', 'import(): native']);
    });

    let lastWorkerLog = '';
    /** Runs the README's worker, one client per name, and returns each client's outcome; stops the worker. */
    async function greetAll(names: readonly string[], env: NodeJS.ProcessEnv): Promise<CommandResult[]> {
      const logFile = tempLogFile('readme-worker');
      const worker = spawnProcess(process.execPath, ['dist/worker.js'], {
        logFile,
        cwd: dir,
        env: { ...context().npm.env, TEMPORAL_ADDRESS: dev.address, ...env },
      });
      try {
        const results: CommandResult[] = [];
        for (const name of names) results.push(await run('node', ['dist/client.js', name], env));
        return results;
      } finally {
        const exit = await stopProcess(worker);
        lastWorkerLog = readFileSync(logFile, 'utf8');
        // The README's worker shuts down on SIGTERM and closes everything: exit code 0.
        expect(exit.code, logTail(logFile)).toBe(0);
      }
    }

    /** The raw histories (nothing decoded) of the `greet` workflows that `act` starts, by workflow id. */
    async function newHistories(count: number, act: () => Promise<void>): Promise<Map<string, HistoryEvent[]>> {
      const ids = async (): Promise<string[]> => {
        const found: string[] = [];
        for await (const execution of raw.workflow.list({ query: "WorkflowType='greet'" }))
          found.push(execution.workflowId);
        return found;
      };
      const before = new Set(await ids());
      await act();
      const started = await waitUntil(
        async () => {
          const fresh = (await ids()).filter((id) => !before.has(id));
          return fresh.length === count ? fresh : undefined;
        },
        { timeoutMs: 30_000, description: `${count} new greet workflows in visibility` },
      );
      return new Map(await Promise.all(started.map(async (id) => [id, await fetchHistoryEvents(raw, id)] as const)));
    }

    it('local keyring: the client reads the result, the server stores ciphertext, a failure is decrypted only by the client', async () => {
      const tag = randomUUID().slice(0, 8);
      let outcomes: CommandResult[] = [];
      const histories = await newHistories(2, async () => {
        outcomes = await greetAll([`Ada-${tag}`, `refused-${tag}`], {});
      });
      const [greeted, refused] = outcomes;
      expect(greeted?.stdout.trim()).toBe(`Hello, Ada-${tag}!`);
      expect(refused?.code).not.toBe(0);
      // The client has the failure converter: it reads the message the server stores only encrypted.
      expect(refused?.stderr).toContain(`no greeting for refused-${tag}`);
      // The caveat README.md states: the SDK's own worker log prints the failure decrypted.
      expect(lastWorkerLog).toContain('Workflow failed');
      expect(lastWorkerLog).toContain(`no greeting for refused-${tag}`);
      for (const events of histories.values()) {
        expect(plaintextFound(historyBytes(events), [tag])).toEqual([]);
        for (const payload of collectPayloads(events)) expect(keyVersionOf(payload)).toBe(1);
      }
      const failures = [...histories.values()].flatMap((events) =>
        events.filter((e) => e.workflowExecutionFailedEventAttributes),
      );
      expect(failures.map((e) => e.workflowExecutionFailedEventAttributes?.failure?.message)).toEqual([
        'Encoded failure',
      ]);
      expect(readFileSync(join(dir, '.codec-keyring.json'), 'utf8')).toContain('"orders"');
    });

    it('Vault KV: the key created with npx temporal-codec, history decoded through npx temporal-codec-server', async () => {
      const vault = { VAULT_ADDR: bao.addr, VAULT_TOKEN: bao.token };
      const created = await run(
        'npx',
        ['temporal-codec', 'keys', 'create', '--namespace', 'orders', '--source', 'vault-kv'],
        vault,
      );
      expect(created.code, created.stderr).toBe(0);
      const tag = randomUUID().slice(0, 8);
      let greeted: CommandResult | undefined;
      const histories = await newHistories(1, async () => {
        [greeted] = await greetAll([`Grace-${tag}`], vault);
      });
      expect(greeted?.stdout.trim()).toBe(`Hello, Grace-${tag}!`);
      const [id, events] = [...histories][0] ?? ['', []];
      expect(plaintextFound(historyBytes(events), [tag])).toEqual([]);

      const logFile = tempLogFile('readme-codec-server');
      const bin = join(dir, 'node_modules', '.bin', 'temporal-codec-server');
      const server = spawnProcess(bin, ['--port', '0'], { logFile, cwd: dir, env: { ...context().npm.env, ...vault } });
      try {
        const url = await waitUntil(
          () => Promise.resolve(readFileSync(logFile, 'utf8').match(/listening on (http:\S+)/)?.[1]),
          {
            timeoutMs: 30_000,
            description: 'the codec server',
            abortIf: () => (server.running ? undefined : `exited: ${logTail(logFile)}`),
          },
        );
        const shown = await runTemporalCli(
          ['workflow', 'show', '--workflow-id', id, '--namespace', 'orders', '--address', dev.address],
          { env: { TEMPORAL_CODEC_ENDPOINT: url } },
        );
        expect(shown.stdout).toContain(`Hello, Grace-${tag}!`);
      } finally {
        await stopProcess(server);
      }
    });
  });
}
