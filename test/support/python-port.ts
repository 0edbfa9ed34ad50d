import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Payload } from '@temporalio/common';
import { projectRoot } from '../../harness/tools.js';

/** The Python port's folder. */
export const portDir: string = resolve(projectRoot, 'ports', 'python');

/**
 * The interpreter of the port's venv (made by `scripts/tools/python-port.mjs`, run from `scripts/install-tools.mjs`).
 *
 * @throws Error telling the user to run the installer when the venv is missing.
 */
export function portPython(): string {
  const python = resolve(projectRoot, '.tools', 'python-port', 'venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `The Python port's venv is missing (${python}). Run \`node scripts/install-tools.mjs\` from the project root.`,
    );
  }
  return python;
}

/** How a Python run ended, with its whole output. */
export interface PythonRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the venv's Python with `args` in the port's folder, feeding `input` on stdin. `VAULT_*` variables of this
 * process are never passed on; `env` adds the ones a run should see.
 */
export function runPython(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PythonRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('VAULT_')) env[key] = value;
  Object.assign(env, { PYTHONDONTWRITEBYTECODE: '1' }, options.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(portPython(), args, { cwd: portDir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A payload in the codec-server protocol's JSON form (protobuf JSON: bytes in base64), as the port's CLI reads it. */
export interface PayloadJson {
  metadata?: Record<string, string>;
  data?: string;
}

/** A TypeScript payload as protobuf JSON. */
export function toPayloadJson(payload: Payload): PayloadJson {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')]),
  );
  return { metadata, data: Buffer.from(payload.data ?? []).toString('base64') };
}

/** Protobuf JSON as a TypeScript payload (absent fields are empty, as protobuf reads them). */
export function fromPayloadJson(json: PayloadJson): Payload {
  const metadata = Object.fromEntries(
    Object.entries(json.metadata ?? {}).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))]),
  );
  return { metadata, data: new Uint8Array(Buffer.from(json.data ?? '', 'base64')) };
}

/**
 * Encodes or decodes payloads with the Python port (`python -m temporal_vault_codec.cli`); the Vault token travels on
 * stdin, never on the command line.
 *
 * @throws Error with the port's error code when the helper refuses the request.
 */
export async function pythonCodec(request: {
  operation: 'encode' | 'decode';
  namespace: string;
  keySource: Record<string, string>;
  payloads: Payload[];
}): Promise<Payload[]> {
  const input = JSON.stringify({ ...request, payloads: request.payloads.map(toPayloadJson) });
  const run = await runPython(['-m', 'temporal_vault_codec.cli'], { input });
  let answer: { payloads?: PayloadJson[]; error?: { code: string; message: string } };
  try {
    answer = JSON.parse(run.stdout) as typeof answer;
  } catch {
    throw new Error(`the Python port's helper answered no JSON (exit ${run.status}): ${run.stderr.slice(-2000)}`);
  }
  if (answer.error !== undefined || answer.payloads === undefined) {
    throw Object.assign(new Error(`Python port: ${answer.error?.message ?? 'no payloads'}`), {
      code: answer.error?.code,
    });
  }
  return answer.payloads.map(fromPayloadJson);
}
