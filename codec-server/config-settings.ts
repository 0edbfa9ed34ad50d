/**
 * Every setting of the codec server, declared once: flag, environment variable, schema (with its default), `--help`
 * line and docs row. `loadConfig` parses with this table, `usage()` prints it and the docs table in
 * docs/codec-server.md is generated from it (`npm run docs:config`; a unit test compares them). The key source
 * settings are the library's, shared with the key admin CLI and workers. A flag wins over its environment variable.
 */
import { z } from 'zod';
import {
  assertNamespace,
  defineSetting as setting,
  KEY_SOURCE_SETTINGS,
  NATIVE_AEAD_MODES,
  settingFields,
  UNENCRYPTED_MODES,
} from '../codec/index.js';
import { AUTH_SETTINGS } from './config-settings-auth.js';
import { LOG_LEVELS } from './config-types.js';
import { parseHost } from './request-guards.js';
import { SAMPLES_SETTINGS } from './samples-settings.js';
import { STORAGE_SETTINGS } from './storage/storage-options.js';

const { duration, flag, integer, list, size, text } = settingFields;

/** Origins of the `temporal server start-dev` Web UI, allowed by default so the quick start needs no flags. */
const DEV_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

const namespace = text.refine(isNamespace, 'is not a valid namespace name');

const LISTEN = {
  port: setting({
    flag: 'port',
    env: 'PORT',
    schema: integer(0, 65_535).default(8081),
    help: 'TCP port to listen on (default 8081; 0 picks one)',
    docsDefault: '`8081`',
    docs: 'TCP port (`0` picks a free one)',
  }),
  host: setting({
    flag: 'host',
    env: 'HOST',
    schema: text.default('127.0.0.1'),
    help: 'Address to bind (default 127.0.0.1)',
    docsDefault: '`127.0.0.1`',
    docs: 'address to bind; `0.0.0.0` for all interfaces',
  }),
  allowedHosts: setting({
    flag: 'allowed-hosts',
    env: 'CODEC_ALLOWED_HOSTS',
    schema: list
      .pipe(z.array(z.string().refine((host) => parseHost(host) !== undefined, 'write host or host:port')))
      .default([]),
    help:
      'Comma-separated Host names (name or name:port) accepted besides localhost, 127.0.0.1 and [::1]; the Host ' +
      'header is checked on a loopback bind, and on any bind once this is set (default none)',
    docs: '`Host` values accepted besides loopback names; `Host` is checked on a loopback bind, and on any once set',
  }),
};

const KEY_CACHE = {
  keyCacheTtl: setting({
    flag: 'key-cache-ttl',
    env: 'CODEC_KEY_CACHE_TTL',
    schema: duration().optional(),
    help: 'How long the newest key version (Transit: a data key) is used before asking again (default 60s)',
    docsDefault: '`60s`',
    docs: 'newest key version (Transit: one data key) used this long before asking again',
  }),
  keyMaxAge: setting({
    flag: 'key-max-age',
    env: 'CODEC_KEY_MAX_AGE',
    schema: duration().optional(),
    help: 'How long a fetched key version (Transit: unwrapped data key) stays in memory (default 5m)',
    docsDefault: '`5m`',
    docs: 'a fetched key version (Transit: an unwrapped data key) kept in memory this long',
  }),
  keyStaleIfError: setting({
    flag: 'key-stale-if-error',
    env: 'CODEC_KEY_STALE_IF_ERROR',
    schema: duration(true).optional(),
    help: 'How much longer cached keys are served while the key source fails; 0 turns it off (default 15m)',
    docsDefault: '`15m`',
    docs: 'while the key source fails, cached keys are served this much longer; `0` turns it off',
  }),
};

const NAMESPACES_AND_CORS = {
  defaultNamespace: setting({
    flag: 'default-namespace',
    env: 'CODEC_DEFAULT_NAMESPACE',
    schema: namespace.default('default'),
    help: 'Namespace used when a request names none (default "default")',
    docsDefault: '`default`',
    docs: 'namespace of requests that name none',
  }),
  namespaces: setting({
    flag: 'namespaces',
    env: 'CODEC_NAMESPACES',
    schema: list.pipe(z.array(namespace).min(1, 'must name at least one namespace')).optional(),
    help: 'Comma-separated allow-list of namespaces served (default: any)',
    docsDefault: 'any',
    docs: 'comma-separated allow-list; others get 403',
  }),
  corsOrigins: setting({
    flag: 'cors-origins',
    env: 'CODEC_CORS_ORIGINS',
    schema: list.default(DEV_UI_ORIGINS),
    help: `Comma-separated allowed browser origins (default ${DEV_UI_ORIGINS.join(',')})`,
    docsDefault: `\`${DEV_UI_ORIGINS.join(',')}\``,
    docs: 'browser origins allowed (the dev server UI by default)',
  }),
  corsCredentials: setting({
    flag: 'cors-credentials',
    env: 'CODEC_CORS_CREDENTIALS',
    type: 'boolean',
    schema: flag.default(false),
    help: 'Allow cross-origin credentials (the UI setting "include cross-origin credentials")',
    docsDefault: 'off',
    docs: 'allow cross-origin credentials (cookies); refuses `*` origins',
  }),
};

const CODEC_POLICY = {
  unencrypted: setting({
    flag: 'unencrypted',
    env: 'CODEC_UNENCRYPTED',
    schema: z.enum(UNENCRYPTED_MODES, 'must be allow or reject').default('allow'),
    help:
      'Unencrypted payloads on decode: allow (default; passed through and counted) or reject ' +
      '(ERR_UNENCRYPTED_PAYLOAD; use once histories are encrypted)',
    docsDefault: '`allow`',
    docs: '`allow` passes unencrypted payloads through (counted), `reject` refuses them (`ERR_UNENCRYPTED_PAYLOAD`)',
  }),
  maxKeyVersions: setting({
    flag: 'max-key-versions',
    env: 'CODEC_MAX_KEY_VERSIONS',
    schema: integer(1, 10_000).default(64),
    help: 'Distinct uncached key versions one request may look up; payloads naming more fail alone (default 64)',
    docsDefault: '`64`',
    docs: 'distinct key versions (Transit: data keys) not in memory that one request may look up',
  }),
  keyNegativeTtl: setting({
    flag: 'key-negative-ttl',
    env: 'CODEC_KEY_NEGATIVE_TTL',
    schema: duration(true).optional(),
    help: 'How long "no such key version" (or a refused wrapped key) is remembered; 0 turns it off (default 10s)',
    docsDefault: '`10s`',
    docs: 'how long the key source\'s "no such version" or refusal of a wrapped key is remembered',
  }),
};

const SERVING = {
  tlsCert: setting({
    flag: 'tls-cert',
    env: 'CODEC_TLS_CERT',
    schema: text.optional(),
    help: 'PEM certificate (serve https)',
    docs: 'PEM certificate; with `--tls-key`, serve https',
  }),
  tlsKey: setting({
    flag: 'tls-key',
    env: 'CODEC_TLS_KEY',
    schema: text.optional(),
    help: 'PEM private key (serve https)',
    docs: 'PEM private key',
  }),
  bodyLimit: setting({
    flag: 'body-limit',
    env: 'CODEC_BODY_LIMIT',
    schema: size.default(4 * 1024 * 1024),
    help: 'Largest request body (default 4mb)',
    docsDefault: '`4mb`',
    docs: 'largest request body (`b`, `kb`, `mb`, `gb`)',
  }),
  maxPayloads: setting({
    flag: 'max-payloads',
    env: 'CODEC_MAX_PAYLOADS',
    schema: integer(1, 1_000_000).default(1000),
    help: 'Most payloads in one request (default 1000)',
    docsDefault: '`1000`',
    docs: 'most payloads in one request',
  }),
  requestTimeoutMs: setting({
    flag: 'request-timeout-ms',
    env: 'CODEC_REQUEST_TIMEOUT_MS',
    schema: integer(100, 3_600_000).default(15_000),
    help: 'Encode/decode deadline; past it the answer is 503 (default 15000)',
    docsDefault: '`15000`',
    docs: 'deadline of the codec work of one request',
  }),
  workers: setting({
    flag: 'workers',
    env: 'CODEC_WORKERS',
    schema: z
      .union([z.literal('auto'), z.string().regex(/^[1-9][0-9]?$/, 'must be a number from 1 to 99, or auto')])
      .default('1'),
    help:
      'Server processes sharing the port: a number, or auto for one per CPU (default 1). Vault key sources only; ' +
      'each process keeps its own key cache, and /metrics answers for the process that serves the scrape',
    docsDefault: '`1`',
    docs: 'server processes sharing the port, or `auto` (one per CPU); Vault key sources only, see below',
  }),
  shutdownGraceMs: setting({
    flag: 'shutdown-grace-ms',
    env: 'CODEC_SHUTDOWN_GRACE_MS',
    schema: integer(0, 3_600_000).default(10_000),
    help: 'On SIGTERM/SIGINT, how long in-flight requests may finish (default 10000)',
    docsDefault: '`10000`',
    docs: 'how long in-flight requests may finish on SIGTERM/SIGINT',
  }),
  nativeAead: setting({
    flag: 'native-aes-gcm',
    env: 'CODEC_NATIVE_AES_GCM',
    schema: z.enum(NATIVE_AEAD_MODES, `must be one of ${NATIVE_AEAD_MODES.join(', ')}`).default('auto'),
    help: 'auto (default): the native AES-GCM module when built; off: node:crypto; require: refuse without it',
    docsDefault: '`auto`',
    docs: '`auto`, `off` or `require`: the native AES-GCM module, see below',
  }),
  logLevel: setting({
    flag: 'log-level',
    env: 'LOG_LEVEL',
    schema: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
    help: 'fatal, error, warn, info (default), debug, trace or silent',
    docsDefault: '`info`',
    docs: LOG_LEVELS.map((level) => `\`${level}\``).join(', '),
  }),
  help: setting({
    flag: 'help',
    type: 'boolean',
    schema: flag.default(false),
    help: 'Print this help and exit',
    docs: 'print the options and exit',
  }),
};

/** The codec server's own settings, in the order `--help` and the docs list them after the key source. */
export const SERVER_ONLY_SETTINGS = {
  ...LISTEN,
  ...KEY_CACHE,
  ...NAMESPACES_AND_CORS,
  ...AUTH_SETTINGS,
  ...CODEC_POLICY,
  ...SAMPLES_SETTINGS,
  ...STORAGE_SETTINGS,
  ...SERVING,
};

/** Every setting of the codec server, in the order `--help` and the docs list them. */
export const SERVER_SETTINGS = {
  ...LISTEN,
  ...KEY_SOURCE_SETTINGS,
  ...KEY_CACHE,
  ...NAMESPACES_AND_CORS,
  ...AUTH_SETTINGS,
  ...CODEC_POLICY,
  ...SAMPLES_SETTINGS,
  ...STORAGE_SETTINGS,
  ...SERVING,
};

/** Name of a setting in {@link SERVER_SETTINGS}. */
export type ServerSettingName = keyof typeof SERVER_SETTINGS;

function isNamespace(value: string): boolean {
  try {
    assertNamespace(value);
    return true;
  } catch {
    return false;
  }
}
