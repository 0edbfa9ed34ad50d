import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { Payload } from '@temporalio/common';
import { isExecutableFile, projectRoot } from '../../harness/tools.js';

/** The Go port's module folder. */
export const goPortDir = join(projectRoot, 'ports', 'go');

/**
 * The `go` binary: `GO_BIN`, then `.tools/tools.json` (written by `scripts/install-tools.mjs`, which installs Go when
 * the machine has none), then PATH.
 */
export function resolveGo(): string {
  if (process.env.GO_BIN) return resolve(process.env.GO_BIN);
  try {
    const recorded = (JSON.parse(readFileSync(join(projectRoot, '.tools', 'tools.json'), 'utf8')) as { go?: unknown })
      .go;
    if (typeof recorded === 'string' && isExecutableFile(recorded)) return recorded;
  } catch {
    // No tools.json: fall through to PATH.
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (isExecutableFile(join(dir, 'go'))) return join(dir, 'go');
  }
  throw new Error('Go was not found (GO_BIN, .tools/tools.json, PATH); run `node scripts/install-tools.mjs`');
}

/**
 * The environment for Go commands: the user's own Go settings, without their Vault settings (tests pass the shared
 * OpenBao explicitly). Without a home folder Go has nowhere for its caches, so they go under `.tools/go`.
 */
export function goEnv(vault?: { addr: string; token: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VAULT_') && !key.startsWith('BAO_')) env[key] = value;
  }
  // The toolchain found is the one to use: never switch to (and download) another mid-test.
  env.GOTOOLCHAIN = 'local';
  if (!env.HOME && !env.GOCACHE) env.GOCACHE = join(projectRoot, '.tools', 'go', 'cache');
  if (!env.HOME && !env.GOPATH) env.GOPATH = join(projectRoot, '.tools', 'go', 'path');
  if (vault) {
    env.VAULT_ADDR = vault.addr;
    env.VAULT_TOKEN = vault.token;
  }
  return env;
}

/** Output of a finished command. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin args` in `cwd` to completion, with stdin when given; never rejects for a non-zero exit. */
export function run(
  bin: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      bin,
      args,
      {
        cwd: options.cwd ?? goPortDir,
        env: options.env ?? goEnv(),
        maxBuffer: 256 * 1024 * 1024,
        timeout: options.timeoutMs ?? 600_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        if (error !== null && code === -1) reject(new Error(`${bin} did not run: ${error.message}`, { cause: error }));
        else resolvePromise({ code, stdout, stderr });
      },
    );
    // A command that exits without reading its input (gofmt -l, go vet) closes the pipe: that is not a failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** Builds the port's `tvcodec` command into a temporary folder and returns its path. */
export async function buildGoCli(go: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'tvcodec-')), 'tvcodec');
  const built = await run(go, ['build', '-o', out, './cmd/tvcodec']);
  if (built.code !== 0) throw new Error(`go build ./cmd/tvcodec failed:\n${built.stderr}`);
  return out;
}

/** Where the Go command finds keys (Vault address and token come from its environment). */
export type GoKeySource =
  | { kind: 'vault-kv'; mount?: string; pathPrefix?: string }
  | { kind: 'vault-transit'; mount?: string; keyPrefix?: string }
  | { kind: 'local'; path: string };

/** One payload's outcome from the Go command. */
export type GoResult = { ok: true; payload: Payload } | { ok: false; code: string };

interface WirePayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

function toWire(payload: Payload): WirePayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value != null) metadata[key] = Buffer.from(value).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

function fromWire(wire: WirePayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(wire.metadata ?? {})) metadata[key] = Buffer.from(value, 'base64');
  return { metadata, data: Buffer.from(wire.data ?? '', 'base64') };
}

/**
 * Seals (one batch) or opens (each payload on its own) `payloads` with the Go port's command.
 *
 * @throws Error when the command cannot run the request at all.
 */
export async function goCodec(
  cli: string,
  op: 'seal' | 'open',
  request: {
    namespace: string;
    source: GoKeySource;
    payloads: readonly Payload[];
    vault?: { addr: string; token: string };
  },
): Promise<GoResult[]> {
  const input = JSON.stringify({
    op,
    namespace: request.namespace,
    source: request.source,
    payloads: request.payloads.map(toWire),
  });
  const result = await run(cli, [], { env: goEnv(request.vault), input, cwd: dirname(cli), timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`tvcodec ${op} failed (${result.code}): ${result.stderr}`);
  const answer = JSON.parse(result.stdout) as {
    results: Array<{ payload?: WirePayload; error?: { code: string } }>;
  };
  return answer.results.map((r) =>
    r.payload !== undefined ? { ok: true, payload: fromWire(r.payload) } : { ok: false, code: r.error?.code ?? '' },
  );
}
