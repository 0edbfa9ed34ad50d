import { execFile } from 'node:child_process';
import { connect } from 'node:net';

import { freePorts } from './free-port.js';
import { logTail, spawnProcess, stopProcess, tempLogFile, waitUntil } from './managed-process.js';
import type { StopProcessOptions } from './managed-process.js';
import { resolveTool } from './tools.js';

/** Options for {@link startTemporalDevServer}. */
export interface TemporalDevServerOptions {
  /** Codec server URL the Web UI should use (`--ui-codec-endpoint`); implies the UI is enabled. */
  uiCodecEndpoint?: string;
  /** Disable the Web UI. Default: headless unless `uiCodecEndpoint` is given. */
  headless?: boolean;
  /** Binary to run; defaults to `resolveTool('temporal')`. */
  bin?: string;
  /** How long to wait for the server to serve the `default` namespace. Default 60 s. */
  startTimeoutMs?: number;
  /** More namespaces to create at start (`--namespace`, as a user runs it for a namespace other than `default`). */
  namespaces?: readonly string[];
}

/** A running `temporal server start-dev`. */
export interface TemporalDevServer {
  /** Frontend gRPC address as `host:port`, for `Connection.connect({ address })` and `--address`. */
  readonly address: string;
  /** Web UI base URL, when the UI is enabled. */
  readonly uiUrl?: string;
  readonly namespace: 'default';
  readonly logFile: string;
  stop(opts?: StopProcessOptions): Promise<void>;
}

/** Options for {@link runTemporalCli}. */
export interface RunTemporalCliOptions {
  /** Kill the CLI after this long. Default 30 s. */
  timeoutMs?: number;
  /** Extra environment variables, merged over `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Binary to run; defaults to `resolveTool('temporal')`. */
  bin?: string;
}

/** Outcome of a CLI run; `code` is `null` when the process was killed (e.g. by the timeout). */
export interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs the `temporal` CLI and resolves with its output whatever the exit code (it never rejects for a non-zero exit,
 * so tests can assert on failures too).
 */
export function runTemporalCli(args: readonly string[], opts: RunTemporalCliOptions = {}): Promise<CliResult> {
  const bin = opts.bin ?? resolveTool('temporal');
  return new Promise((resolveRun) => {
    execFile(
      bin,
      args,
      {
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, ...opts.env },
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        let code: number | null = 0;
        if (error) {
          // `code` is the exit status for a failed run but a string such as 'ENOENT' when the binary did not start.
          code = typeof error.code === 'number' ? error.code : null;
          if (code === null && !error.killed) stderr = `${stderr}${error.message}\n`;
        }
        resolveRun({ stdout, stderr, code });
      },
    );
  });
}

function acceptsTcp(host: string, port: number): Promise<true | undefined> {
  return new Promise((resolveProbe) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolveProbe(ok ? true : undefined);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Starts an in-memory `temporal server start-dev` bound to 127.0.0.1 on free ports, logging to a temp file, and waits
 * until the frontend accepts connections, the `default` namespace is served and (if enabled) the UI answers.
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const bin = opts.bin ?? resolveTool('temporal');
  const headless = opts.headless ?? opts.uiCodecEndpoint === undefined;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const [port, uiPort, httpPort, metricsPort] = (await freePorts(4)) as [number, number, number, number];
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--log-level',
    'error',
    ...(opts.namespaces ?? []).flatMap((namespace) => ['--namespace', namespace]),
  ];
  if (headless) {
    args.push('--headless');
  } else {
    // The UI otherwise fetches a newsfeed from the internet, which sandboxes and CI cannot reach.
    args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
    if (opts.uiCodecEndpoint !== undefined) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  }

  const logFile = tempLogFile('temporal-dev');
  const proc = spawnProcess(bin, args, { logFile });
  const address = `127.0.0.1:${port}`;
  const uiUrl = headless ? undefined : `http://127.0.0.1:${uiPort}`;
  const startedAt = Date.now();
  const remaining = (): number => Math.max(1_000, startTimeoutMs - (Date.now() - startedAt));
  const abortIf = (): string | undefined => (proc.running ? undefined : 'server process exited');

  try {
    await waitUntil(() => acceptsTcp('127.0.0.1', port), {
      timeoutMs: remaining(),
      description: `Temporal gRPC at ${address}`,
      abortIf,
    });
    // The port opens before the namespace registry is loaded; clients connecting in that gap get NotFound.
    for (const namespace of ['default', ...(opts.namespaces ?? [])]) {
      await waitUntil(
        async () => {
          const result = await runTemporalCli(
            ['operator', 'namespace', 'describe', '--namespace', namespace, '--address', address],
            { bin, timeoutMs: 10_000 },
          );
          return result.code === 0 ? true : undefined;
        },
        {
          timeoutMs: remaining(),
          intervalMs: 200,
          description: `Temporal namespace '${namespace}' at ${address}`,
          abortIf,
        },
      );
    }
    if (uiUrl !== undefined) {
      await waitUntil(
        async () => {
          const res = await fetch(uiUrl, { signal: AbortSignal.timeout(2_000) });
          await res.body?.cancel();
          return res.ok ? true : undefined;
        },
        { timeoutMs: remaining(), description: `Temporal UI at ${uiUrl}`, abortIf },
      );
    }
  } catch (error) {
    await stopProcess(proc, { signal: 'SIGKILL' });
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- ${logFile} (tail) ---\n${logTail(logFile)}`, { cause: error });
  }

  return {
    address,
    ...(uiUrl !== undefined ? { uiUrl } : {}),
    namespace: 'default',
    logFile,
    stop: async (stopOpts) => {
      await stopProcess(proc, stopOpts);
    },
  };
}
