import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { NativeAeadMode } from '../codec/index.js';
import { freePort } from '../test/support/free-port.js';
import { projectRoot } from '../test/support/tools.js';

/** One load-test case: a server, a route, a batch size. */
export interface LoadCase {
  readonly server: string;
  readonly batch: number;
  readonly requestsPerSec: number;
  readonly p99Ms: number;
  readonly payloadsPerSec: number;
  /** Requests per second relative to the reference server, same batch, same run. */
  readonly ratioToReference?: number;
}

interface RunningProcess {
  readonly url: string;
  stop(): Promise<void>;
}

async function startProcess(
  args: string[],
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningProcess> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status < 500,
      () => false,
    );
    // The reference has no health route: any HTTP answer means it listens.
    const listening =
      ok ||
      (await fetch(`${url}/`).then(
        () => true,
        () => false,
      ));
    if (listening) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const ROUNDS = 3;

function medianRun(runs: Array<{ requestsPerSec: number; p99Ms: number }>): { requestsPerSec: number; p99Ms: number } {
  const sorted = [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function encodedBody(url: string, batch: number): Promise<string> {
  const payload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.alloc(1024, 'x').toString('base64'),
  };
  const response = await fetch(`${url}/encode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
    body: JSON.stringify({ payloads: Array.from({ length: batch }, () => payload) }),
  });
  if (!response.ok) throw new Error(`encode failed on ${url}: ${response.status}`);
  return response.text();
}

async function load(
  url: string,
  body: string,
  durationSec: number,
): Promise<{ requestsPerSec: number; p99Ms: number }> {
  const result = await autocannon({
    url: `${url}/decode`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
    body,
    connections: 10,
    duration: durationSec,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`load on ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSec: result.requests.average, p99Ms: result.latency.p99 };
}

/**
 * `/decode` requests per second and p99 latency for batches of 1 and 100 payloads of 1 KiB, for the codec server
 * (the real bin, local keyring, audit logging on) and the sample-style reference server, each in its own process,
 * in the same run.
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
  const keyring = join(mkdtempSync(join(tmpdir(), 'bench-keyring-')), 'keyring.json');
  const ourPort = await freePort();
  const referencePort = await freePort();
  const servers = {
    'codec-server': await startProcess(
      ['dist/codec-server/main.js', '--port', String(ourPort), '--keyring', keyring, ...aead],
      ourPort,
    ),
    'reference (sample-style)': await startProcess(
      ['.bench-build/bench/reference-server.js', String(referencePort)],
      referencePort,
    ),
  } as Record<string, RunningProcess>;
  if (options.vault !== undefined) {
    // The same server using both cores, as a deployment would (the local keyring is single-process only).
    const clusterPort = await freePort();
    servers['codec-server --workers 2 (vault-kv)'] = await startProcess(
      [
        'dist/codec-server/main.js',
        '--port',
        String(clusterPort),
        '--vault-addr',
        options.vault.addr,
        '--workers',
        '2',
        ...aead,
      ],
      clusterPort,
      { ...process.env, VAULT_TOKEN: options.vault.token },
    );
  }
  const cases: LoadCase[] = [];
  try {
    for (const batch of [1, 100]) {
      // Short interleaved rounds (A, B, C, A, B, C, ...) and the median of each: a virtual machine's speed drifts
      // over seconds, and measuring one server after the other would charge the drift to whichever ran second.
      const samples: Record<string, Array<{ requestsPerSec: number; p99Ms: number }>> = {};
      const bodies: Record<string, string> = {};
      for (const [name, server] of Object.entries(servers)) bodies[name] = await encodedBody(server.url, batch);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, server] of Object.entries(servers)) {
          (samples[name] ??= []).push(await load(server.url, bodies[name]!, Math.max(1, options.durationSec / ROUNDS)));
        }
      }
      const measured = Object.fromEntries(Object.entries(samples).map(([name, runs]) => [name, medianRun(runs)]));
      const reference = measured['reference (sample-style)']!;
      for (const [name, figures] of Object.entries(measured)) {
        const entry: LoadCase = {
          server: name,
          batch,
          ...figures,
          payloadsPerSec: figures.requestsPerSec * batch,
          ratioToReference: figures.requestsPerSec / reference.requestsPerSec,
        };
        cases.push(entry);
        options.log(
          `/decode batch ${String(batch).padStart(3)} x 1 KiB  ${name.padEnd(26)} ${Math.round(entry.requestsPerSec).toLocaleString('en-US').padStart(7)} req/s  ` +
            `p99 ${entry.p99Ms} ms  ${entry.ratioToReference!.toFixed(2)} x reference`,
        );
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  return cases;
}
