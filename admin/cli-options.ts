import { parseArgs } from 'node:util';
import { assertNamespace, CodecError, parseDuration, type SecretSource, type VaultAuthConfig } from '../codec/index.js';
import type { KeySourceKind } from './key-admin.js';
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

/** Where keys are administered, with everything needed to connect. */
export type SourceOptions =
  | { readonly kind: 'local'; readonly keyringPath: string }
  | {
      readonly kind: 'vault-kv' | 'vault-transit';
      readonly addr: string;
      readonly vaultNamespace?: string;
      readonly auth: VaultAuthConfig;
      readonly kvMount: string;
      readonly kvPrefix: string;
      readonly transitMount: string;
      readonly transitKeyPrefix: string;
    };

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

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  version: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  'max-age': { type: 'string' },
  'auto-rotate': { type: 'string' },
  all: { type: 'boolean' },
  source: { type: 'string' },
  keyring: { type: 'string' },
  'vault-addr': { type: 'string' },
  'vault-namespace': { type: 'string' },
  'vault-kv-mount': { type: 'string' },
  'vault-key-prefix': { type: 'string' },
  'vault-transit-mount': { type: 'string' },
  'vault-transit-key-prefix': { type: 'string' },
  'vault-auth': { type: 'string' },
  'vault-auth-mount': { type: 'string' },
  'vault-role-id': { type: 'string' },
  'vault-role-id-file': { type: 'string' },
  'vault-secret-id-file': { type: 'string' },
  'vault-k8s-role': { type: 'string' },
  'vault-k8s-jwt-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...USAGE_FLAGS,
} as const;

type Env = Readonly<Record<string, string | undefined>>;
type Values = Partial<Record<keyof typeof OPTIONS, string | boolean>>;

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
  const text = (name: keyof typeof OPTIONS): string | undefined => {
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

  const source = buildSource(values, env, text);
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

function buildSource(
  values: Values,
  env: Env,
  text: (name: keyof typeof OPTIONS) => string | undefined,
): SourceOptions {
  const pick = (flag: keyof typeof OPTIONS, variable: string): string | undefined =>
    text(flag) ?? (env[variable]?.trim() || undefined);
  const kind = pick('source', 'KEY_SOURCE') ?? 'local';
  if (!isSourceKind(kind)) fail('--source must be local, vault-kv or vault-transit');
  if (kind === 'local') return { kind, keyringPath: pick('keyring', 'KEYRING_PATH') ?? '.codec-keyring.json' };
  const addr = pick('vault-addr', 'VAULT_ADDR');
  if (addr === undefined) fail(`--source ${kind} needs --vault-addr or VAULT_ADDR`);
  const vaultNamespace = pick('vault-namespace', 'VAULT_NAMESPACE');
  return {
    kind,
    addr,
    ...(vaultNamespace === undefined ? {} : { vaultNamespace }),
    auth: buildAuth(pick, env),
    kvMount: pick('vault-kv-mount', 'VAULT_KV_MOUNT') ?? 'secret',
    kvPrefix:
      values['vault-key-prefix'] === undefined
        ? (env.VAULT_KEY_PREFIX ?? 'temporal-codec/')
        : String(values['vault-key-prefix']),
    transitMount: pick('vault-transit-mount', 'VAULT_TRANSIT_MOUNT') ?? 'transit',
    transitKeyPrefix:
      values['vault-transit-key-prefix'] === undefined
        ? (env.VAULT_TRANSIT_KEY_PREFIX ?? 'temporal-codec-')
        : String(values['vault-transit-key-prefix']),
  };
}

function isSourceKind(kind: string): kind is KeySourceKind {
  return kind === 'local' || kind === 'vault-kv' || kind === 'vault-transit';
}

function buildAuth(
  pick: (flag: keyof typeof OPTIONS, variable: string) => string | undefined,
  env: Env,
): VaultAuthConfig {
  const method = pick('vault-auth', 'VAULT_AUTH_METHOD') ?? 'token';
  const mount = pick('vault-auth-mount', 'VAULT_AUTH_MOUNT');
  const withMount = mount === undefined ? {} : { mount };
  const secret = (
    valueVariable: string,
    flag: keyof typeof OPTIONS,
    fileVariable: string,
  ): SecretSource | undefined => {
    const file = pick(flag, fileVariable);
    if (file !== undefined) return { file };
    const value = env[valueVariable]?.trim();
    return value ? { value } : undefined;
  };
  switch (method) {
    case 'token': {
      const token = env.VAULT_TOKEN?.trim();
      if (!token) fail('Vault token auth needs VAULT_TOKEN (or choose --vault-auth approle|kubernetes)');
      return { method, token };
    }
    case 'approle': {
      const roleIdFile = pick('vault-role-id-file', 'VAULT_ROLE_ID_FILE');
      const roleIdValue = pick('vault-role-id', 'VAULT_ROLE_ID');
      const roleId: SecretSource | undefined =
        roleIdFile !== undefined
          ? { file: roleIdFile }
          : roleIdValue !== undefined
            ? { value: roleIdValue }
            : undefined;
      if (roleId === undefined) fail('AppRole auth needs --vault-role-id, --vault-role-id-file or VAULT_ROLE_ID');
      const secretId = secret('VAULT_SECRET_ID', 'vault-secret-id-file', 'VAULT_SECRET_ID_FILE');
      return { method, roleId, ...(secretId === undefined ? {} : { secretId }), ...withMount };
    }
    case 'kubernetes': {
      const role = pick('vault-k8s-role', 'VAULT_K8S_ROLE');
      if (role === undefined) fail('Kubernetes auth needs --vault-k8s-role or VAULT_K8S_ROLE');
      const jwtFile = pick('vault-k8s-jwt-file', 'VAULT_K8S_JWT_FILE');
      return { method, role, ...(jwtFile === undefined ? {} : { jwt: { file: jwtFile } }), ...withMount };
    }
    default:
      return fail('--vault-auth must be token, approle or kubernetes');
  }
}
