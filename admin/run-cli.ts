import { CodecError, type ReadTextFile } from '../codec/index.js';
import { AdminError } from './admin-error.js';
import { parseCli, type CliCommand } from './cli-options.js';
import type { CommandContext } from './command-context.js';
import { runCommand } from './commands.js';
import { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes.js';
import { HELP } from './help.js';
import type { KeyAdmin } from './key-admin.js';
import { openKeyAdmin } from './open-key-admin.js';
import { renderJson, renderText } from './render.js';
import { openCodec } from './schedules/open-codec.js';
import { connectTemporal } from './temporal/connect-temporal.js';

/** A writable text stream (process.stdout, or a buffer in tests); `isTTY` makes progress lines redraw in place. */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Everything {@link runCli} touches: tests pass their own. */
export interface CliDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Connects to the key source; defaults to {@link openKeyAdmin}. */
  readonly openKeyAdmin?: (command: CliCommand, warn: (message: string) => void) => KeyAdmin;
  /** Milliseconds clock for rotate-if-older. */
  readonly now?: () => number;
  readonly readFile?: ReadTextFile;
  /** Aborts a running command (SIGINT): Temporal calls in flight fail with ERR_INTERRUPTED. */
  readonly signal?: AbortSignal;
  /** Connects to Temporal and opens codecs; default: the real ones. */
  readonly context?: Partial<Pick<CommandContext, 'openTemporal' | 'openCodec'>>;
}

/**
 * The key-admin CLI as a function: parses `argv` (without the node and script paths), runs the command and returns
 * the exit code. Never throws and never calls `process.exit`, so tests run it in-process.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
  const parsed = parseCli(argv, deps.env);
  if (parsed.kind === 'help') {
    deps.stdout.write(HELP);
    return EXIT_CODES.ok;
  }
  if (parsed.kind === 'usage-error') {
    report(deps, parsed.json, EXIT_CODES.usage, 'ERR_USAGE', `${parsed.message}\nRun temporal-codec --help for usage.`);
    return EXIT_CODES.usage;
  }
  const cmd = parsed.value;
  const warn = (message: string) => deps.stderr.write(`${message}\n`);
  let admin: KeyAdmin | undefined;
  try {
    admin = (deps.openKeyAdmin ?? defaultOpen(deps))(cmd, warn);
    const result = await runCommand(cmd, admin, commandContext(deps, warn));
    deps.stdout.write(cmd.json ? renderJson(result) : renderText(result));
    return result.kind === 'reencrypt' && result.failed > 0 ? EXIT_CODES.incomplete : EXIT_CODES.ok;
  } catch (err) {
    const exitCode = exitCodeFor(err);
    const code = err instanceof CodecError || err instanceof AdminError ? err.code : 'ERR_UNEXPECTED';
    report(deps, cmd.json, exitCode, code, explain(err, exitCode, cmd));
    return exitCode;
  } finally {
    await admin?.close();
  }
}

function commandContext(deps: CliDeps, warn: (message: string) => void): CommandContext {
  const readFile = deps.readFile === undefined ? {} : { readFile: deps.readFile };
  const signal = deps.signal === undefined ? {} : { signal: deps.signal };
  return {
    now: deps.now ?? Date.now,
    warn,
    progress: deps.stderr,
    openTemporal: deps.context?.openTemporal ?? ((options) => connectTemporal(options, { ...readFile, ...signal })),
    openCodec: deps.context?.openCodec ?? ((source, namespace) => openCodec(source, namespace, warn)),
    ...signal,
  };
}

function defaultOpen(deps: CliDeps) {
  return (cmd: CliCommand, warn: (message: string) => void) =>
    openKeyAdmin(cmd.source, { warn, ...(deps.readFile === undefined ? {} : { readFile: deps.readFile }) });
}

function explain(err: unknown, exitCode: ExitCode, cmd: CliCommand): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AdminError) return explainTemporal(message, exitCode, cmd);
  const where = cmd.source.kind === 'local' ? cmd.source.keyringPath : cmd.source.addr;
  switch (exitCode) {
    case EXIT_CODES.notFound:
      return `${message} (namespace ${JSON.stringify(cmd.namespace ?? '')} in ${cmd.source.kind} at ${where}; check the mount and prefix flags)`;
    case EXIT_CODES.denied:
      return `${message}\nThe token's policy does not allow this; key administration needs policies/key-admin.hcl.`;
    case EXIT_CODES.unreachable:
      return `${message}\nIs the key source at ${where} running and reachable?`;
    default:
      return message;
  }
}

function explainTemporal(message: string, exitCode: ExitCode, cmd: CliCommand): string {
  const at = `Temporal at ${cmd.temporal?.address ?? '-'}`;
  switch (exitCode) {
    case EXIT_CODES.notFound:
      return `${message} (namespace ${JSON.stringify(cmd.namespace ?? '')} on ${at})`;
    case EXIT_CODES.denied:
      return `${message}\n${at} refused the credentials (TLS client certificate or API key).`;
    case EXIT_CODES.unreachable:
      return `${message}\nIs ${at} running and reachable (and is TLS on or off as it expects)?`;
    default:
      return message;
  }
}

function report(deps: CliDeps, json: boolean, exitCode: ExitCode, code: string, message: string): void {
  if (json) deps.stdout.write(`${JSON.stringify({ error: { code, exitCode, message } }, null, 2)}\n`);
  deps.stderr.write(`temporal-codec: ${message} [${code}]\n`);
}
