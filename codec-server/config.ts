import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CodecError, ERROR_CODES, NATIVE_AEAD_MODES, assertNamespace } from '../codec/index.js';
import { flag, httpUrl, integer, list, size, text } from './config-fields.js';
import { OPTIONS, type OptionName, type OptionSpec } from './config-options.js';
import { LOG_LEVELS, type AuthConfig, type ServerConfig } from './config-types.js';
import { checkKeySource, keySourceFields, toKeyCache, toKeySource } from './config-vault.js';
import { checkStorage, storageFields, toStorageSettings } from './storage/storage-settings.js';

/** Origins of the `temporal server start-dev` Web UI, allowed by default so the quick start needs no flags. */
const DEV_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

type RawInput = Partial<Record<OptionName, string | boolean>>;

const namespace = text.refine(isNamespace, 'is not a valid namespace name');

const schema = z
  .object({
    help: flag.default(false),
    port: integer(0, 65_535).default(8081),
    host: text.default('127.0.0.1'),
    ...keySourceFields,
    defaultNamespace: namespace.default('default'),
    namespaces: list.pipe(z.array(namespace).min(1, 'must name at least one namespace')).optional(),
    corsOrigins: list.default(DEV_UI_ORIGINS),
    corsCredentials: flag.default(false),
    auth: z.enum(['none', 'static', 'jwt'], 'must be none, static or jwt').default('none'),
    authTokensFile: text.optional(),
    jwksUrl: httpUrl.optional(),
    jwtSecret: text.min(32, 'must be at least 32 characters (HS256 needs a 256-bit key)').optional(),
    jwtIssuer: text.optional(),
    jwtAudience: list.optional(),
    jwtPermissionsClaim: text.default('permissions'),
    tlsCert: text.optional(),
    tlsKey: text.optional(),
    bodyLimit: size.default(4 * 1024 * 1024),
    maxPayloads: integer(1, 1_000_000).default(1000),
    requestTimeoutMs: integer(100, 3_600_000).default(15_000),
    workers: z
      .union([z.literal('auto'), z.string().regex(/^[1-9][0-9]?$/, 'must be a number from 1 to 99, or auto')])
      .default('1'),
    shutdownGraceMs: integer(0, 3_600_000).default(10_000),
    ...storageFields,
    nativeAead: z.enum(NATIVE_AEAD_MODES, `must be one of ${NATIVE_AEAD_MODES.join(', ')}`).default('auto'),
    logLevel: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
  })
  .superRefine((raw, ctx) => {
    // Each rule names the fix, not only the fault: these messages are what an operator reads at boot.
    const fail = (path: OptionName, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    checkKeySource(raw, fail);
    checkStorage(raw, fail);
    if (raw.workers !== '1' && (raw.keySource ?? 'local') === 'local' && raw.vaultAddr === undefined) {
      // Several processes creating keys in one file would race, and a lost key is lost data.
      fail('workers', 'needs a Vault key source: the local keyring file is for a single process');
    }
    if (raw.auth === 'static' && raw.authTokensFile === undefined) {
      fail('auth', '--auth static needs --auth-tokens-file (a JSON file mapping token -> {subject, permissions})');
    }
    if (raw.auth !== 'static' && raw.authTokensFile !== undefined) {
      fail('authTokensFile', `is only used with --auth static (the mode is ${raw.auth}); add --auth static`);
    }
    if (raw.auth === 'jwt' && raw.jwksUrl === undefined && raw.jwtSecret === undefined) {
      fail('auth', '--auth jwt needs --jwks-url or --jwt-secret');
    }
    if (raw.jwksUrl !== undefined && raw.jwtSecret !== undefined) {
      fail('jwtSecret', 'cannot be combined with --jwks-url; pick one way to verify tokens');
    }
    for (const name of ['jwksUrl', 'jwtSecret', 'jwtIssuer', 'jwtAudience'] as const) {
      if (raw.auth !== 'jwt' && raw[name] !== undefined)
        fail(name, `is only used with --auth jwt (the mode is ${raw.auth}); add --auth jwt`);
    }
    if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) {
      fail(raw.tlsCert === undefined ? 'tlsCert' : 'tlsKey', 'https needs both --tls-cert and --tls-key');
    }
    raw.corsOrigins.forEach((origin) => {
      if (origin !== '*' && !isOrigin(origin)) {
        fail('corsOrigins', `${JSON.stringify(origin)} is not an origin; write scheme://host[:port] with no path`);
      }
    });
    if (raw.corsCredentials && raw.corsOrigins.includes('*')) {
      fail(
        'corsOrigins',
        '* cannot be combined with --cors-credentials (browsers forbid it); list the UI origins instead',
      );
    }
  });

type Raw = z.output<typeof schema>;

/**
 * Reads the codec server's configuration from `argv` (flags win) and `env`, validates it and returns it frozen.
 * Pure: the only inputs are the two arguments, so tests pass their own and nothing below reads `process.env`.
 *
 * @throws CodecError `ERR_INVALID_CONFIG` listing every problem, each with the flag or variable to fix.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): ServerConfig {
  const parsed = schema.safeParse(readRaw(env, argv));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${describeOption(issue.path[0])}: ${issue.message}`);
    throw new CodecError(ERROR_CODES.invalidConfig, ['Invalid codec server configuration:', ...problems].join('\n'));
  }
  return deepFreeze(toConfig(parsed.data));
}

function readRaw(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): RawInput {
  const specs = Object.entries(OPTIONS) as Array<[OptionName, OptionSpec]>;
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [, spec] of specs) if (spec.flag !== undefined) options[spec.flag] = { type: spec.type };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new CodecError(ERROR_CODES.invalidConfig, `${detail}. Run with --help to list the options.`, { cause });
  }
  const raw: RawInput = {};
  for (const [name, spec] of specs) {
    const fromFlag = spec.flag === undefined ? undefined : values[spec.flag];
    // An empty environment variable counts as unset, as shells and compose files often export VAR= by accident.
    const fromEnv = spec.env === undefined || env[spec.env] === '' ? undefined : env[spec.env];
    const value = fromFlag ?? fromEnv;
    if (value !== undefined) raw[name] = value;
  }
  return raw;
}

function toConfig(raw: Raw): ServerConfig {
  let auth: AuthConfig = { mode: 'none' };
  if (raw.auth === 'static') auth = { mode: 'static', tokensFile: raw.authTokensFile ?? '' };
  if (raw.auth === 'jwt') {
    auth = {
      mode: 'jwt',
      ...(raw.jwksUrl === undefined ? {} : { jwksUrl: raw.jwksUrl }),
      ...(raw.jwtSecret === undefined ? {} : { secret: raw.jwtSecret }),
      ...(raw.jwtIssuer === undefined ? {} : { issuer: raw.jwtIssuer }),
      ...(raw.jwtAudience === undefined ? {} : { audience: raw.jwtAudience }),
      permissionsClaim: raw.jwtPermissionsClaim,
    };
  }
  return {
    help: raw.help,
    listen: {
      host: raw.host,
      port: raw.port,
      ...(raw.tlsCert !== undefined && raw.tlsKey !== undefined
        ? { tls: { certPath: raw.tlsCert, keyPath: raw.tlsKey } }
        : {}),
    },
    keySource: toKeySource(raw),
    keyCache: toKeyCache(raw),
    namespaces: { default: raw.defaultNamespace, ...(raw.namespaces === undefined ? {} : { allowed: raw.namespaces }) },
    cors: { origins: raw.corsOrigins.map(normalizeOrigin), credentials: raw.corsCredentials, maxAgeSeconds: 600 },
    auth,
    limits: { bodyBytes: raw.bodyLimit, maxPayloads: raw.maxPayloads, requestTimeoutMs: raw.requestTimeoutMs },
    storage: toStorageSettings(raw),
    workers: raw.workers === 'auto' ? availableParallelism() : Number(raw.workers),
    shutdownGraceMs: raw.shutdownGraceMs,
    nativeAead: raw.nativeAead,
    logLevel: raw.logLevel,
  };
}

function describeOption(key: PropertyKey | undefined): string {
  const spec: OptionSpec | undefined =
    typeof key === 'string' && key in OPTIONS ? OPTIONS[key as OptionName] : undefined;
  if (spec === undefined) return 'configuration';
  if (spec.flag === undefined) return spec.env ?? String(key);
  return spec.env === undefined ? `--${spec.flag}` : `--${spec.flag} (${spec.env})`;
}

function isNamespace(value: string): boolean {
  try {
    assertNamespace(value);
    return true;
  } catch {
    return false;
  }
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    const bare =
      url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    return (url.protocol === 'http:' || url.protocol === 'https:') && bare;
  } catch {
    return false;
  }
}

/** Browsers send `Origin` without a trailing slash and with a lower-case host: compare in that form. */
function normalizeOrigin(origin: string): string {
  return origin === '*' ? origin : new URL(origin).origin;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
