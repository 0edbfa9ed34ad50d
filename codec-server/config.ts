import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  CodecError,
  deepFreeze,
  ERROR_CODES,
  KEY_SOURCE_SETTINGS,
  readKeySourceSettings,
  settingLabel,
  settingSchemas,
  settingValues,
  type KeySourceConfig,
  type SettingProblem,
} from '../codec/index.js';
import { checkServerSettings } from './config-rules.js';
import { SERVER_ONLY_SETTINGS, SERVER_SETTINGS, type ServerSettingName } from './config-settings.js';
import { checkStorage, toStorageSettings } from './storage/storage-settings.js';
import { checkSamples, toSamplesSettings, type SamplesSettings } from './samples-settings.js';
import type { AuthConfig, KeyCacheConfig, ServerConfig } from './config-types.js';

const schema = z.object(settingSchemas(SERVER_ONLY_SETTINGS));

type Raw = z.output<typeof schema>;

/**
 * Reads the codec server's configuration from `argv` (flags win) and `env`, validates it and returns it frozen.
 * Pure: the only inputs are the two arguments, so tests pass their own and nothing below reads `process.env`.
 *
 * @throws CodecError `ERR_INVALID_CONFIG` listing every problem, each with the flag or variable to fix.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): ServerConfig {
  const values = settingValues(SERVER_SETTINGS, readFlags(argv), env);
  const problems: SettingProblem<ServerSettingName>[] = [];
  const keySource = readKeySourceSettings(pick(values, KEY_SOURCE_SETTINGS));
  if (!keySource.ok) problems.push(...keySource.problems);
  const fail = (setting: ServerSettingName, message: string) => problems.push({ setting, message });
  // As a refinement, the rules also run when some single setting is invalid, so that every problem is listed at once.
  const parsed = schema
    .superRefine((raw) => {
      checkServerSettings(raw, keySource.ok ? keySource.config.kind : undefined, fail);
      checkStorage(raw, fail);
      checkSamples(raw, keySource.ok ? keySource.config.kind : undefined, fail);
    })
    .safeParse(pick(values, SERVER_ONLY_SETTINGS));
  if (!parsed.success) for (const issue of parsed.error.issues) fail(issue.path[0] as ServerSettingName, issue.message);
  if (problems.length > 0 || !parsed.success || !keySource.ok) {
    const lines = problems.map(({ setting, message }) => `  - ${settingLabel(SERVER_SETTINGS[setting])}: ${message}`);
    throw new CodecError(ERROR_CODES.invalidConfig, ['Invalid codec server configuration:', ...lines].join('\n'));
  }
  return deepFreeze(toConfig(parsed.data, keySource.config));
}

function readFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const spec of Object.values(SERVER_SETTINGS))
    if (spec.flag !== undefined) options[spec.flag] = { type: spec.type };
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new CodecError(ERROR_CODES.invalidConfig, `${detail}. Run with --help to list the options.`, { cause });
  }
}

/** The values of `table`'s settings among `values`. */
function pick<Table extends object>(
  values: Readonly<Partial<Record<string, string | boolean>>>,
  table: Table,
): Partial<Record<keyof Table & string, string | boolean>> {
  return Object.fromEntries(Object.entries(values).filter(([name]) => name in table)) as Partial<
    Record<keyof Table & string, string | boolean>
  >;
}

function toConfig(raw: Raw, keySource: KeySourceConfig): ServerConfig {
  let auth: AuthConfig = { mode: 'none' };
  const wildcardScopes = raw.authWildcardScopes === undefined ? {} : { wildcardScopes: raw.authWildcardScopes };
  if (raw.auth === 'static') auth = { mode: 'static', tokensFile: raw.authTokensFile ?? '', ...wildcardScopes };
  if (raw.auth === 'jwt') {
    auth = {
      mode: 'jwt',
      ...wildcardScopes,
      ...(raw.jwksUrl === undefined ? {} : { jwksUrl: raw.jwksUrl }),
      ...(raw.jwtSecret === undefined ? {} : { secret: raw.jwtSecret }),
      ...(raw.jwtIssuer === undefined ? {} : { issuer: raw.jwtIssuer }),
      ...(raw.jwtAudience === undefined ? {} : { audience: raw.jwtAudience }),
      ...(raw.jwtMaxTokenAge === undefined ? {} : { maxTokenAgeSeconds: Math.ceil(raw.jwtMaxTokenAge / 1000) }),
      permissionsClaim: raw.jwtPermissionsClaim,
    };
  }
  return {
    help: raw.help,
    listen: {
      host: raw.host,
      port: raw.port,
      allowedHosts: raw.allowedHosts,
      ...(raw.tlsCert !== undefined && raw.tlsKey !== undefined
        ? { tls: { certPath: raw.tlsCert, keyPath: raw.tlsKey } }
        : {}),
    },
    keySource,
    keyCache: toKeyCache(raw),
    codec: { unencrypted: raw.unencrypted, maxKeyLookupsPerRequest: raw.maxKeyVersions },
    namespaces: { default: raw.defaultNamespace, ...(raw.namespaces === undefined ? {} : { allowed: raw.namespaces }) },
    cors: { origins: raw.corsOrigins.map(normalizeOrigin), credentials: raw.corsCredentials, maxAgeSeconds: 600 },
    auth,
    limits: { bodyBytes: raw.bodyLimit, maxPayloads: raw.maxPayloads, requestTimeoutMs: raw.requestTimeoutMs },
    storage: toStorageSettings(raw),
    ...samplesOf(raw),
    workers: raw.workers === 'auto' ? availableParallelism() : Number(raw.workers),
    shutdownGraceMs: raw.shutdownGraceMs,
    nativeAead: raw.nativeAead,
    logLevel: raw.logLevel,
  };
}

function samplesOf(raw: Raw): { samples?: SamplesSettings } {
  const samples = toSamplesSettings(raw);
  return samples === undefined ? {} : { samples };
}

/** The key cache limits given; absent ones keep the library's defaults. */
function toKeyCache(raw: Raw): KeyCacheConfig {
  return {
    ...(raw.keyCacheTtl === undefined ? {} : { latestTtlMs: raw.keyCacheTtl }),
    ...(raw.keyMaxAge === undefined ? {} : { versionMaxAgeMs: raw.keyMaxAge }),
    ...(raw.keyStaleIfError === undefined ? {} : { staleIfErrorMs: raw.keyStaleIfError }),
    ...(raw.keyNegativeTtl === undefined ? {} : { negativeTtlMs: raw.keyNegativeTtl }),
  };
}

/** Browsers send `Origin` without a trailing slash and with a lower-case host: compare in that form. */
function normalizeOrigin(origin: string): string {
  return origin === '*' ? origin : new URL(origin).origin;
}
