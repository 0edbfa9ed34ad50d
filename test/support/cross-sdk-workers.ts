import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goEnv, goPortDir, run } from './go-port.js';
import {
  logTail,
  spawnProcess,
  stopProcess,
  tempLogFile,
  waitUntil,
  type ManagedProcess,
} from '../../harness/managed-process.js';
import { portDir, portPython } from './python-port.js';

/** The keys all three SDKs seal with: one KV v2 path prefix, or one Transit mount (key prefix the default). */
export type SharedKeys = { source: 'vault-kv'; pathPrefix: string } | { source: 'vault-transit'; mount: string };

/** What a worker process of the cross-SDK test needs to know. */
export interface SdkWorkerSettings {
  readonly vault: { addr: string; token: string };
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly keys: SharedKeys;
  /** How long each worker trusts the newest key version (Transit: a data key), in seconds. */
  readonly latestTtlSeconds: number;
}

/** A worker of another SDK running as a child process. */
export interface SdkWorker {
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Builds the Go port's activity worker (`ports/go/examples/xsdk-activity`) once into a temporary folder.
 *
 * @throws Error with the compiler's output when the build fails.
 */
export async function buildGoActivityWorker(go: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'xsdk-activity-')), 'xsdk-activity');
  const built = await run(go, ['build', '-o', out, './examples/xsdk-activity'], { cwd: goPortDir });
  if (built.code !== 0) throw new Error(`go build ./examples/xsdk-activity failed:\n${built.stderr}`);
  return out;
}

/** The settings both worker programs read from their environment (the same names in Go and Python). */
function workerVariables(settings: SdkWorkerSettings, latestTtl: string): Record<string, string> {
  const keys: Record<string, string> =
    settings.keys.source === 'vault-kv'
      ? { VAULT_KEY_PREFIX: settings.keys.pathPrefix }
      : { VAULT_TRANSIT_MOUNT: settings.keys.mount };
  return {
    TEMPORAL_ADDRESS: settings.temporalAddress,
    TEMPORAL_NAMESPACE: settings.namespace,
    XSDK_TASK_QUEUE: settings.taskQueue,
    XSDK_KEY_SOURCE: settings.keys.source,
    XSDK_LATEST_TTL: latestTtl,
    VAULT_ADDR: settings.vault.addr,
    VAULT_TOKEN: settings.vault.token,
    ...keys,
  };
}

/** Spawns a worker and resolves once it prints `ready` (it polls its task queue then); stops it on failure. */
async function startReadyWorker(
  label: string,
  bin: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<SdkWorker> {
  const logFile = tempLogFile(label);
  const proc = spawnProcess(bin, args, { logFile, env: options.env, cwd: options.cwd });
  const stop = async () => {
    await stopProcess(proc);
  };
  try {
    await waitUntil(() => Promise.resolve(/^ready$/m.test(readFileSync(logFile, 'utf8')) ? true : undefined), {
      timeoutMs: 60_000,
      description: `the ${label} to poll its task queue`,
      abortIf: () => (proc.running ? undefined : `it exited:\n${logTail(logFile)}`),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { process: proc, stop };
}

/** Starts the Go activity worker built by {@link buildGoActivityWorker}. */
export function startGoActivityWorker(bin: string, settings: SdkWorkerSettings): Promise<SdkWorker> {
  const env = { ...goEnv(), ...workerVariables(settings, `${settings.latestTtlSeconds}s`) };
  return startReadyWorker('xsdk-go-activity-worker', bin, [], { env, cwd: goPortDir });
}

/** Starts the Python port's workflow worker (`ports/python/examples/xsdk_worker.py`) in the port's venv. */
export function startPythonWorkflowWorker(settings: SdkWorkerSettings): Promise<SdkWorker> {
  const env: NodeJS.ProcessEnv = {};
  // The user's own Vault settings never reach the worker: it gets the test's OpenBao explicitly.
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('VAULT_')) env[key] = value;
  Object.assign(env, { PYTHONDONTWRITEBYTECODE: '1' }, workerVariables(settings, String(settings.latestTtlSeconds)));
  return startReadyWorker('xsdk-python-workflow-worker', portPython(), ['examples/xsdk_worker.py'], {
    env,
    cwd: portDir,
  });
}
