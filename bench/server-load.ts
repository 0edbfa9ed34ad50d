import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { NativeAeadMode } from '../codec/index.js';
import { freePort } from '../harness/free-port.js';
import { projectRoot } from '../harness/tools.js';

/** One load-test case: a server, a route, a payload size, a batch size. */
export interface LoadCase {
  readonly server: string;
  readonly route: 'encode' | 'decode';
  readonly sizeBytes: number;
  readonly batch: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The server process's CPU time per request (user + system), which other load on the machine barely moves. */
  readonly cpuUsPerRequest: number;
  readonly payloadsPerSec: number;
  /** Requests per second relative to the bare node:http server, same case, same run. */
  readonly ratioToBare?: number;
  /** Requests per second relative to the sample-style express server, same case, same run. */
  readonly ratioToSample?: number;
}

interface RunningProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A bearer token of the static tokens file the codec server is started with (auth on, as deployed). */
const TOKEN = 'bench-static-token-7d0c5b2e94a1';
const ORIGIN = 'http://localhost:8233';

function startProcess(args: string[], port: number, env?: NodeJS.ProcessEnv): Promise<RunningProcess> {
  return startProcessWith(process.execPath, args, port, env);
}

/** User + system CPU milliseconds a process has used so far (Linux; 0 elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return 0;
  }
}

const ROUNDS = 3;

type Sample = { requestsPerSec: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number };

function median(runs: Sample[]): Sample {
  const pick = (key: keyof Sample) => [...runs].map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  return {
    requestsPerSec: pick('requestsPerSec'),
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    cpuUsPerRequest: pick('cpuUsPerRequest'),
  };
}

const HEADERS = {
  'content-type': 'application/json',
  'x-namespace': 'default',
  authorization: `Bearer ${TOKEN}`,
  origin: ORIGIN,
};

function plainBody(size: number, batch: number): string {
  const payload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.alloc(size, 'x').toString('base64'),
  };
  return JSON.stringify({ payloads: Array.from({ length: batch }, () => payload) });
}

async function encodedBody(url: string, size: number, batch: number): Promise<string> {
  const response = await fetch(`${url}/encode`, { method: 'POST', headers: HEADERS, body: plainBody(size, batch) });
  if (!response.ok) throw new Error(`encode failed on ${url}: ${response.status}`);
  return response.text();
}

async function load(server: RunningProcess, route: string, body: string, durationSec: number): Promise<Sample> {
  const before = cpuMs(server.pid);
  // autocannon's own percentiles are whole milliseconds; the response times it reports are not.
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: `${server.url}/${route}`, method: 'POST', headers: HEADERS, body, connections: 10, duration: durationSec },
      (err, finished) => (err === null || err === undefined ? resolve(finished) : reject(err as Error)),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) times.push(responseTime);
    });
  });
  const used = cpuMs(server.pid) - before;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`load on ${server.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  times.sort((a, b) => a - b);
  const percentile = (p: number) =>
    Math.round((times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0) * 100) / 100;
  return {
    requestsPerSec: result.requests.average,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    cpuUsPerRequest: (used * 1000) / Math.max(1, result.requests.total),
  };
}

const BARE = 'bare node:http';
/** The bare server with the least each required feature can cost: token, CORS, metrics, deadline, audit line. */
const BARE_FEATURES = 'bare + token, CORS, metrics, audit';
const SAMPLE = 'sample-style express';

/**
 * Requests per second, p50/p99 latency and server CPU per request of `/decode` and `/encode` for: the codec server
 * (the real bin, local keyring, static-token auth, CORS, limits, metrics and audit logging all on; and again with the
 * audit off), a bare `node:http` server running the same codec (the ceiling), the same bare server with the codec
 * server's features written as directly as possible (what they cost at the least), and the sample-style express
 * server.
 * Each server is its own process pinned to the same core when `taskset` exists; rounds interleave the servers.
 */
export async function measureServerLoad(options: {
  durationSec: number;
  log: (line: string) => void;
  /** When given, also measures `--workers 2` on Vault KV (the key `default` under `temporal-codec/` must exist). */
  vault?: { addr: string; token: string };
  /** The codec server's `--native-aes-gcm`. */
  nativeAead: NativeAeadMode;
}): Promise<LoadCase[]> {
  const aead = ['--native-aes-gcm', options.nativeAead];
  const dir = mkdtempSync(join(tmpdir(), 'bench-keyring-'));
  const keyring = join(dir, 'keyring.json');
  const tokens = join(dir, 'tokens.json');
  writeFileSync(tokens, JSON.stringify({ [TOKEN]: { subject: 'bench', permissions: ['default:admin'] } }));
  // One core for all of them (the second one runs the load generator), as the figures were taken.
  const pin = (args: string[]) => (hasTaskset() ? ['-c', '1', process.execPath, ...args] : args);
  const start = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const port = await freePort();
    const full = args.map((a) => (a === 'PORT' ? String(port) : a));
    return hasTaskset() ? startPinned(pin(full), port, env) : startProcess(full, port, env);
  };
  const ours = [
    'dist/codec-server/main.js',
    '--port',
    'PORT',
    '--keyring',
    keyring,
    '--auth',
    'static',
    '--auth-tokens-file',
    tokens,
    ...aead,
  ];
  const servers: Record<string, RunningProcess> = {};
  servers['codec-server'] = await start(ours);
  // The keyring's key exists before the others read it.
  await encodedBody(servers['codec-server'].url, 16, 1);
  servers['codec-server, audit off'] = await start([...ours, '--log-level', 'warn']);
  servers[BARE] = await start(['.bench-build/bench/bare-server.js', 'PORT', keyring, options.nativeAead]);
  servers[BARE_FEATURES] = await start([
    '.bench-build/bench/bare-server.js',
    'PORT',
    keyring,
    options.nativeAead,
    'features',
  ]);
  servers[SAMPLE] = await start(['.bench-build/bench/reference-server.js', 'PORT']);
  if (options.vault !== undefined) {
    // The same server using both cores, as a deployment would (the local keyring is single-process only).
    const port = await freePort();
    servers['codec-server --workers 2 (vault-kv)'] = await startProcess(
      [
        'dist/codec-server/main.js',
        '--port',
        String(port),
        '--vault-addr',
        options.vault.addr,
        '--workers',
        '2',
        '--auth',
        'static',
        '--auth-tokens-file',
        tokens,
        ...aead,
      ],
      port,
      { ...process.env, VAULT_TOKEN: options.vault.token },
    );
  }
  const cases: LoadCase[] = [];
  const matrix: Array<{ route: 'encode' | 'decode'; size: number; batch: number }> = [
    { route: 'decode', size: 1024, batch: 1 },
    { route: 'decode', size: 1024, batch: 100 },
    { route: 'decode', size: 64 * 1024, batch: 10 },
    { route: 'encode', size: 64 * 1024, batch: 10 },
  ];
  try {
    for (const { route, size, batch } of matrix) {
      // Short interleaved rounds (A, B, C, A, B, C, ...) and the median of each: a virtual machine's speed drifts
      // over seconds, and measuring one server after the other would charge the drift to whichever ran second.
      const samples: Record<string, Sample[]> = {};
      const bodies: Record<string, string> = {};
      for (const [name, server] of Object.entries(servers)) {
        bodies[name] = route === 'encode' ? plainBody(size, batch) : await encodedBody(server.url, size, batch);
      }
      const entries = Object.entries(servers);
      // A second of load first, so no server's first round pays for its compiler warming up on this body.
      for (const [name, server] of entries) await load(server, route, bodies[name]!, 1);
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with another server, so none always runs right after the same neighbour.
        for (let i = 0; i < entries.length; i++) {
          const [name, server] = entries[(round + i) % entries.length]!;
          (samples[name] ??= []).push(
            await load(server, route, bodies[name]!, Math.max(1, options.durationSec / ROUNDS)),
          );
        }
      }
      const measured = Object.fromEntries(Object.entries(samples).map(([name, runs]) => [name, median(runs)]));
      const bare = measured[BARE]!;
      const sample = measured[SAMPLE]!;
      for (const [name, figures] of Object.entries(measured)) {
        const entry: LoadCase = {
          server: name,
          route,
          sizeBytes: size,
          batch,
          ...figures,
          payloadsPerSec: figures.requestsPerSec * batch,
          ratioToBare: figures.requestsPerSec / bare.requestsPerSec,
          ratioToSample: figures.requestsPerSec / sample.requestsPerSec,
        };
        cases.push(entry);
        options.log(
          `/${route} ${String(batch).padStart(3)} x ${String(size / 1024).padStart(2)} KiB  ${name.padEnd(36)} ` +
            `${Math.round(entry.requestsPerSec).toLocaleString('en-US').padStart(7)} req/s  p50 ${entry.p50Ms} ms  p99 ${entry.p99Ms} ms  ` +
            `cpu ${Math.round(entry.cpuUsPerRequest)} us/req  ${entry.ratioToBare!.toFixed(2)} x bare  ${entry.ratioToSample!.toFixed(2)} x sample`,
        );
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  return cases;
}

function hasTaskset(): boolean {
  return existsSync('/usr/bin/taskset');
}

/** {@link startProcess} under `taskset`: the pid measured is taskset's, which execs node, so it is node's. */
function startPinned(args: string[], port: number, env?: NodeJS.ProcessEnv): Promise<RunningProcess> {
  return startProcessWith('taskset', args, port, env);
}

async function startProcessWith(
  cmd: string,
  args: string[],
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningProcess> {
  const child: ChildProcess = spawn(cmd, args, { cwd: projectRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    const listening = await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    );
    if (listening) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
