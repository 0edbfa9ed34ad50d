import { runCli, type CliDeps } from '../../admin/run-cli.js';

/** What one in-process run of `temporal-codec` printed and returned. */
export interface AdminRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as the one JSON document `--json` prints. */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the key-admin CLI in this process with `env` as its whole environment, capturing both streams. */
export async function runAdmin(
  args: readonly string[],
  env: CliDeps['env'],
  extra: Partial<Omit<CliDeps, 'env' | 'stdout' | 'stderr'>> = {},
): Promise<AdminRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    env,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    ...extra,
  });
  const stdout = out.join('');
  return { code, stdout, stderr: err.join(''), json: <T>() => JSON.parse(stdout) as T };
}
