import cluster, { type Worker } from 'node:cluster';
import { serveClusterMetrics } from './cluster-metrics.js';

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  /** Worker processes to keep running. */
  readonly workers: number;
  /** How long workers get to finish in-flight requests after SIGTERM/SIGINT (they apply it themselves). */
  readonly shutdownGraceMs: number;
  /** Where the primary reports (stderr: stdout carries the workers' JSON logs). */
  readonly report: (line: string) => void;
}

/** Crashes tolerated per minute before the primary gives up instead of restarting in a loop. */
const MAX_RESTARTS_PER_MINUTE = 10;

/**
 * The primary of `--workers N`: forks N copies of this command (node:cluster shares the listening port between
 * them), replaces a worker that dies unexpectedly, and on SIGTERM/SIGINT passes the signal on and waits for every
 * worker to drain. Resolves with the exit code: 1 when a worker had to be killed after its grace period.
 *
 * Each worker is a complete codec server with its own key cache; nothing is shared between them but the port, and
 * `/metrics`, which any worker answers for all of them through the primary.
 */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  let stopping = false;
  // Set when the backstop had to kill a worker that did not exit within its grace period: the stop was not clean.
  let forced = false;
  const restarts: number[] = [];
  serveClusterMetrics();
  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < options.workers; i++) fork();
  options.report(`temporal-codec-server: ${options.workers} worker processes`);

  return new Promise<number>((resolve) => {
    const finishIfDone = () => {
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve(forced ? 1 : 0);
    };
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return finishIfDone();
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
      options.report(
        `worker ${worker.process.pid} exited (${signal ?? code}); ${restarts.length <= MAX_RESTARTS_PER_MINUTE ? 'restarting' : 'too many crashes, stopping'}`,
      );
      if (restarts.length <= MAX_RESTARTS_PER_MINUTE) {
        fork();
        return;
      }
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      resolve(1);
    });
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal: do not wait for the grace period.
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
        resolve(1);
        return;
      }
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      // Workers drain within their own grace period; this is only a backstop.
      setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) {
          if (worker === undefined) continue;
          forced = true;
          options.report(`worker ${worker.process.pid} did not exit within the grace period; killing it`);
          worker.process.kill('SIGKILL');
        }
      }, options.shutdownGraceMs + 5000).unref();
      finishIfDone();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
