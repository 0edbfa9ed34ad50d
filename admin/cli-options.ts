import { parseArgs } from 'node:util';
import {
  assertNamespace,
  CodecError,
  KEY_SOURCE_SETTINGS,
  keySourceSettingLabel,
  parseDuration,
  readKeySourceSettings,
  settingValues,
  type KeySourceConfig,
} from '../codec/index.js';
import { readsTemporalNamespace, readUsageFields, USAGE_FLAGS, type UsageFields } from './temporal/command-flags.js';
import { TemporalOptionsError } from './temporal/temporal-options.js';

/** The `keys` subcommands. */
export const COMMANDS = [
  'create',
  'rotate',
  'list',
  'describe',
  'deactivate',
  'activate',
  'destroy',
  'rotate-if-older',
  'usage',
] as const;

/** One of {@link COMMANDS}, or `schedules-reencrypt` (`temporal-codec schedules reencrypt`). */
export type CommandName = (typeof COMMANDS)[number] | 'schedules-reencrypt';

/** Where keys are administered, with everything needed to connect: the library's key source configuration. */
export type SourceOptions = KeySourceConfig;

/** A parsed, validated command line. */
export interface CliCommand extends UsageFields {
  readonly command: CommandName;
  readonly source: SourceOptions;
  /** The Temporal namespace (= key id). Required except for `list` and `rotate-if-older --all`. */
  readonly namespace?: string;
  readonly version?: number;
  readonly yes: boolean;
  readonly json: boolean;
  /** `rotate-if-older --max-age`. */
  readonly maxAgeMs?: number;
  /** `create --auto-rotate` (Transit only). */
  readonly autoRotateMs?: number;
  /** `rotate-if-older --all`. */
  readonly all: boolean;
}

/** The outcome of {@link parseCli}: a command, a request for help, or a usage error to print. */
export type ParsedCli =
  | { readonly kind: 'command'; readonly value: CliCommand }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string; readonly json: boolean };

const COMMAND_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  version: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  'max-age': { type: 'string' },
  'auto-rotate': { type: 'string' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...USAGE_FLAGS,
} as const;

/** `--source` is the CLI's older spelling of `--key-source`; both are accepted. */
const SOURCE_ALIAS = 'source';

const OPTIONS: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
  ...COMMAND_OPTIONS,
  [SOURCE_ALIAS]: { type: 'string' },
  ...Object.fromEntries(
    Object.values(KEY_SOURCE_SETTINGS).flatMap((spec) =>
      'flag' in spec && spec.flag !== undefined ? [[spec.flag, { type: spec.type }]] : [],
    ),
  ),
};

type Env = Readonly<Record<string, string | undefined>>;
type Values = Readonly<Record<string, string | boolean | undefined>>;

class UsageError extends Error {}

function isUsageCode(code: string): boolean {
  return code.startsWith('ERR_PARSE_ARGS') || code === 'ERR_INVALID_ARG_VALUE';
}

function fail(message: string): never {
  throw new UsageError(message);
}

/**
 * Parses `temporal-codec keys <command> [flags]` with `util.parseArgs`, reading the environment for what the flags
 * leave out (a flag wins). Secrets come from the environment or files only, never from flags (which `ps` shows).
 * Pure: no I/O, nothing read from `process.env`.
 */
export function parseCli(argv: readonly string[], env: Env): ParsedCli {
  let values: Values = {};
  try {
    const parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    values = parsed.values;
    if (values.help === true || parsed.positionals.length === 0) return { kind: 'help' };
    const [group, command, ...rest] = parsed.positionals;
    if (group !== 'keys' && group !== 'schedules') {
      fail(`Unknown command ${JSON.stringify(group)}; the commands are under "keys" and "schedules"`);
    }
    if (command === undefined) return { kind: 'help' };
    if (group === 'schedules' && command !== 'reencrypt') fail(`Unknown command "schedules ${command}"`);
    if (group === 'keys' && !(COMMANDS as readonly string[]).includes(command))
      fail(`Unknown command "keys ${command}"`);
    if (rest.length > 0) fail(`Unexpected argument ${JSON.stringify(rest[0])}`);
    const name = group === 'schedules' ? 'schedules-reencrypt' : (command as CommandName);
    return { kind: 'command', value: build(name, values, env) };
  } catch (err) {
    // parseArgs' own errors (ERR_PARSE_ARGS_*) and the CodecErrors of assertNamespace and parseDuration have clear
    // messages: all of them are usage errors here. Anything else is a bug and propagates.
    const parseArgsError =
      typeof (err as { code?: unknown }).code === 'string' && isUsageCode((err as { code: string }).code);
    const ours = err instanceof UsageError || err instanceof TemporalOptionsError || err instanceof CodecError;
    if (!ours && !parseArgsError) throw err;
    return {
      kind: 'usage-error',
      message: (err as Error).message,
      json: values.json === true || argv.includes('--json'),
    };
  }
}

function build(command: CommandName, values: Values, env: Env): CliCommand {
  const text = (name: keyof typeof COMMAND_OPTIONS): string | undefined => {
    const value = values[name];
    return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
  };
  const namespace =
    text('namespace') ?? (readsTemporalNamespace(command) ? env.TEMPORAL_NAMESPACE?.trim() || undefined : undefined);
  if (namespace !== undefined) assertNamespace(namespace);
  const all = values.all === true;
  const needsNamespace = command !== 'list' && !(command === 'rotate-if-older' && all);
  const named = command === 'schedules-reencrypt' ? 'schedules reencrypt' : `keys ${command}`;
  if (needsNamespace && namespace === undefined) fail(`${named} needs --namespace <name>`);
  if (all && command !== 'rotate-if-older') fail('--all is only used with keys rotate-if-older');
  if (all && namespace !== undefined) fail('give either --namespace or --all, not both');

  const versionText = text('version');
  const needsVersion = command === 'deactivate' || command === 'activate' || command === 'destroy';
  if (needsVersion && versionText === undefined) fail(`keys ${command} needs --version <n>`);
  if (!needsVersion && versionText !== undefined) fail(`--version is not used by keys ${command}`);
  if (versionText !== undefined && !/^[1-9][0-9]{0,9}$/.test(versionText)) fail('--version must be a positive integer');

  const maxAgeText = text('max-age');
  if (command === 'rotate-if-older' && maxAgeText === undefined)
    fail('keys rotate-if-older needs --max-age (e.g. 30d)');
  if (command !== 'rotate-if-older' && maxAgeText !== undefined) fail('--max-age is only used with rotate-if-older');
  const autoRotateText = text('auto-rotate');
  if (autoRotateText !== undefined && command !== 'create') fail('--auto-rotate is only used with keys create');

  const source = buildSource(values, env);
  if (autoRotateText !== undefined && source.kind !== 'vault-transit') {
    fail('--auto-rotate needs --source vault-transit; elsewhere run keys rotate-if-older from a scheduler');
  }
  return {
    command,
    source,
    ...(namespace === undefined ? {} : { namespace }),
    ...(versionText === undefined ? {} : { version: Number(versionText) }),
    ...(maxAgeText === undefined ? {} : { maxAgeMs: parseDuration(maxAgeText) }),
    ...(autoRotateText === undefined ? {} : { autoRotateMs: parseDuration(autoRotateText) }),
    yes: values.yes === true,
    json: values.json === true,
    all,
    ...readUsageFields(command, values, env),
  };
}

/**
 * The key source, read by the library's one reader of the shared settings: the codec server's flags and variables,
 * checked by the same rules (a setting of another key source or auth method is refused, naming the fix).
 */
function buildSource(values: Values, env: Env): SourceOptions {
  const alias = values[SOURCE_ALIAS];
  const flags = { ...values, 'key-source': values['key-source'] ?? alias };
  const reading = readKeySourceSettings(settingValues(KEY_SOURCE_SETTINGS, flags, env));
  if (reading.ok) return reading.config;
  const label = (setting: Parameters<typeof keySourceSettingLabel>[0]) =>
    setting === 'keySource' && alias !== undefined ? `--${SOURCE_ALIAS} (KEY_SOURCE)` : keySourceSettingLabel(setting);
  return fail(reading.problems.map(({ setting, message }) => `${label(setting)}: ${message}`).join('\n'));
}
