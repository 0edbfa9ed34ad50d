import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a managed child process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A long-running server process whose output goes to a log file rather than the test output. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  readonly logFile: string;
  /** False once the process has exited. */
  readonly running: boolean;
}

/** Options for {@link stopProcess}. */
export interface StopProcessOptions {
  /** First signal to send; `SIGKILL` simulates a crash. Default `SIGTERM`. */
  signal?: 'SIGTERM' | 'SIGKILL' | 'SIGINT';
  /** How long to wait after the first signal before escalating to `SIGKILL`. Default 10 s. */
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// Test workers can exit without running afterAll hooks (crash, bail, timeout); orphaned servers would otherwise keep
// ports and memory until the machine is recycled. Only synchronous work is possible in an 'exit' handler.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Where server logs go: one folder under the OS temp dir, so they are easy to find after a failure (or delete). */
export const testLogDir: string = join(tmpdir(), 'temporal-vault-codec-test-logs');

/** A fresh, unique log file path in {@link testLogDir}, e.g. `.../openbao-dev-1a2b3c4d.log`. */
export function tempLogFile(prefix: string): string {
  mkdirSync(testLogDir, { recursive: true });
  return join(testLogDir, `${prefix}-${randomBytes(4).toString('hex')}.log`);
}

/**
 * Spawns `bin args` with stdout and stderr appended to `logFile`, and registers it for killing on process exit.
 *
 * The child is unref'd so a test that forgets to stop it does not keep the worker alive; the exit hook kills it.
 */
export function spawnProcess(
  bin: string,
  args: readonly string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): ManagedProcess {
  installExitHook();
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
  } finally {
    // The child has its own copy of the descriptor now.
    closeSync(fd);
  }
  live.add(child);
  let running = true;
  const exited = new Promise<ProcessExit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(child);
      resolveExit({ code, signal });
    });
    // 'error' (e.g. ENOENT) may come without 'exit'; put it in the log so startup errors that quote the log show it.
    child.once('error', (error) => {
      appendFileSync(opts.logFile, `spawn ${bin} failed: ${error.message}\n`);
      running = false;
      live.delete(child);
      resolveExit({ code: null, signal: null });
    });
  });
  child.unref();
  return {
    child,
    exited,
    logFile: opts.logFile,
    get running() {
      return running;
    },
  };
}

/** Signals the process, waits for it to exit, and escalates to `SIGKILL` after `timeoutMs`. */
export async function stopProcess(proc: ManagedProcess, opts: StopProcessOptions = {}): Promise<ProcessExit> {
  if (!proc.running) return proc.exited;
  // Keep the event loop alive while we wait, the child itself is unref'd.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    proc.child.kill(opts.signal ?? 'SIGTERM');
    const timedOut = Symbol('timeout');
    const first = await Promise.race([proc.exited, sleep(opts.timeoutMs ?? 10_000, timedOut)]);
    if (first !== timedOut) return first;
    proc.child.kill('SIGKILL');
    return await proc.exited;
  } finally {
    clearInterval(keepAlive);
  }
}

/** The last `lines` lines of a log file, for error messages; empty when the file does not exist. */
export function logTail(logFile: string, lines = 30): string {
  if (!existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Options for {@link waitUntil}. */
export interface WaitUntilOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is being waited for, used in the timeout message. */
  description: string;
  /** Checked before each attempt; a returned string aborts the wait with that message (e.g. "process exited"). */
  abortIf?: () => string | undefined;
}

/**
 * Polls `probe` until it returns a value other than `undefined`; errors thrown by `probe` count as "not yet".
 *
 * @throws Error on timeout or when `abortIf` reports a reason, including the last probe error if any.
 */
export async function waitUntil<T>(probe: () => Promise<T | undefined>, opts: WaitUntilOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const abortReason = opts.abortIf?.();
    if (abortReason !== undefined) throw new Error(`Gave up waiting for ${opts.description}: ${abortReason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${opts.timeoutMs} ms waiting for ${opts.description}${detail}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}
