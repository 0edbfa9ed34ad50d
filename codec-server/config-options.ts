/**
 * Every command-line flag of the codec server, with its environment variable and help text. `loadConfig` parses
 * with this table and `--help` prints it, so the two cannot drift apart. A flag wins over its environment variable.
 */
import { KUBERNETES_SERVICE_ACCOUNT_TOKEN } from '../codec/index.js';
import { STORAGE_OPTIONS } from './storage/storage-options.js';

/** One configurable setting. */
export interface OptionSpec {
  /** `--flag` name; absent for settings that only come from the environment (secrets stay out of `ps`). */
  readonly flag?: string;
  /** Environment variable name. */
  readonly env?: string;
  readonly type: 'string' | 'boolean';
  /** Shown by `--help`. */
  readonly description: string;
}

/** The settings, keyed by their raw-input name. */
export const OPTIONS = {
  port: { flag: 'port', env: 'PORT', type: 'string', description: 'TCP port to listen on (default 8081; 0 picks one)' },
  host: { flag: 'host', env: 'HOST', type: 'string', description: 'Address to bind (default 127.0.0.1)' },
  keySource: {
    flag: 'key-source',
    env: 'KEY_SOURCE',
    type: 'string',
    description:
      'local (keyring file, development), vault-kv or vault-transit (default local, or vault-kv with --vault-addr)',
  },
  keyringPath: {
    flag: 'keyring',
    env: 'KEYRING_PATH',
    type: 'string',
    description: 'Local keyring file (default .codec-keyring.json in the working directory)',
  },
  vaultAddr: { flag: 'vault-addr', env: 'VAULT_ADDR', type: 'string', description: 'Vault/OpenBao address' },
  vaultToken: {
    env: 'VAULT_TOKEN',
    type: 'string',
    description: 'Vault token for --vault-auth token (environment only)',
  },
  vaultNamespace: { env: 'VAULT_NAMESPACE', type: 'string', description: 'Vault Enterprise/OpenBao namespace' },
  vaultKvMount: {
    flag: 'vault-kv-mount',
    env: 'VAULT_KV_MOUNT',
    type: 'string',
    description: 'vault-kv: KV v2 mount (default secret)',
  },
  vaultKeyPrefix: {
    flag: 'vault-key-prefix',
    env: 'VAULT_KEY_PREFIX',
    type: 'string',
    description: 'vault-kv: path prefix of the per-namespace key secrets (default temporal-codec/)',
  },
  vaultTransitMount: {
    flag: 'vault-transit-mount',
    env: 'VAULT_TRANSIT_MOUNT',
    type: 'string',
    description: 'vault-transit: Transit mount (default transit)',
  },
  vaultTransitKeyPrefix: {
    flag: 'vault-transit-key-prefix',
    env: 'VAULT_TRANSIT_KEY_PREFIX',
    type: 'string',
    description: 'vault-transit: prefix of the per-namespace Transit key names (default temporal-codec-)',
  },
  vaultAuth: {
    flag: 'vault-auth',
    env: 'VAULT_AUTH_METHOD',
    type: 'string',
    description: 'How to log in to Vault: token (default, VAULT_TOKEN), approle or kubernetes',
  },
  vaultAuthMount: {
    flag: 'vault-auth-mount',
    env: 'VAULT_AUTH_MOUNT',
    type: 'string',
    description: 'approle/kubernetes: auth mount (default approle or kubernetes)',
  },
  vaultRoleId: { flag: 'vault-role-id', env: 'VAULT_ROLE_ID', type: 'string', description: 'approle: role id' },
  vaultRoleIdFile: {
    flag: 'vault-role-id-file',
    env: 'VAULT_ROLE_ID_FILE',
    type: 'string',
    description: 'approle: file holding the role id (read at each login)',
  },
  vaultSecretId: { env: 'VAULT_SECRET_ID', type: 'string', description: 'approle: secret id (environment only)' },
  vaultSecretIdFile: {
    flag: 'vault-secret-id-file',
    env: 'VAULT_SECRET_ID_FILE',
    type: 'string',
    description: 'approle: file holding the secret id (read at each login, so it can rotate)',
  },
  vaultK8sRole: {
    flag: 'vault-k8s-role',
    env: 'VAULT_K8S_ROLE',
    type: 'string',
    description: "kubernetes: Vault role bound to the pod's service account",
  },
  vaultK8sJwtFile: {
    flag: 'vault-k8s-jwt-file',
    env: 'VAULT_K8S_JWT_FILE',
    type: 'string',
    description: `kubernetes: service-account token file (default ${KUBERNETES_SERVICE_ACCOUNT_TOKEN})`,
  },
  keyCacheTtl: {
    flag: 'key-cache-ttl',
    env: 'CODEC_KEY_CACHE_TTL',
    type: 'string',
    description: 'How long the newest key version (Transit: a data key) is used before asking again (default 60s)',
  },
  keyMaxAge: {
    flag: 'key-max-age',
    env: 'CODEC_KEY_MAX_AGE',
    type: 'string',
    description: 'How long a fetched key version (Transit: unwrapped data key) stays in memory (default 5m)',
  },
  keyStaleIfError: {
    flag: 'key-stale-if-error',
    env: 'CODEC_KEY_STALE_IF_ERROR',
    type: 'string',
    description: 'How much longer cached keys are served while the key source fails; 0 turns it off (default 15m)',
  },
  defaultNamespace: {
    flag: 'default-namespace',
    env: 'CODEC_DEFAULT_NAMESPACE',
    type: 'string',
    description: 'Namespace used when a request names none (default "default")',
  },
  namespaces: {
    flag: 'namespaces',
    env: 'CODEC_NAMESPACES',
    type: 'string',
    description: 'Comma-separated allow-list of namespaces served (default: any)',
  },
  corsOrigins: {
    flag: 'cors-origins',
    env: 'CODEC_CORS_ORIGINS',
    type: 'string',
    description: 'Comma-separated allowed browser origins (default http://localhost:8233,http://127.0.0.1:8233)',
  },
  corsCredentials: {
    flag: 'cors-credentials',
    env: 'CODEC_CORS_CREDENTIALS',
    type: 'boolean',
    description: 'Allow cross-origin credentials (the UI setting "include cross-origin credentials")',
  },
  auth: { flag: 'auth', env: 'CODEC_AUTH', type: 'string', description: 'none (default), static or jwt' },
  authTokensFile: {
    flag: 'auth-tokens-file',
    env: 'CODEC_AUTH_TOKENS_FILE',
    type: 'string',
    description: 'static mode: JSON file mapping token -> {subject, permissions}',
  },
  jwksUrl: { flag: 'jwks-url', env: 'CODEC_JWKS_URL', type: 'string', description: 'jwt mode: JWKS URL of the issuer' },
  jwtSecret: {
    flag: 'jwt-secret',
    env: 'CODEC_JWT_SECRET',
    type: 'string',
    description: 'jwt mode: HS256 shared secret (prefer the environment variable)',
  },
  jwtIssuer: { flag: 'jwt-issuer', env: 'CODEC_JWT_ISSUER', type: 'string', description: 'jwt mode: required iss' },
  jwtAudience: {
    flag: 'jwt-audience',
    env: 'CODEC_JWT_AUDIENCE',
    type: 'string',
    description: 'jwt mode: accepted aud values, comma-separated',
  },
  jwtPermissionsClaim: {
    flag: 'jwt-permissions-claim',
    env: 'CODEC_JWT_PERMISSIONS_CLAIM',
    type: 'string',
    description: 'jwt mode: claim holding "<namespace>:<role>" entries (default permissions)',
  },
  tlsCert: { flag: 'tls-cert', env: 'CODEC_TLS_CERT', type: 'string', description: 'PEM certificate (serve https)' },
  tlsKey: { flag: 'tls-key', env: 'CODEC_TLS_KEY', type: 'string', description: 'PEM private key (serve https)' },
  bodyLimit: {
    flag: 'body-limit',
    env: 'CODEC_BODY_LIMIT',
    type: 'string',
    description: 'Largest request body (default 4mb)',
  },
  maxPayloads: {
    flag: 'max-payloads',
    env: 'CODEC_MAX_PAYLOADS',
    type: 'string',
    description: 'Most payloads in one request (default 1000)',
  },
  requestTimeoutMs: {
    flag: 'request-timeout-ms',
    env: 'CODEC_REQUEST_TIMEOUT_MS',
    type: 'string',
    description: 'Encode/decode deadline; past it the answer is 503 (default 15000)',
  },
  workers: {
    flag: 'workers',
    env: 'CODEC_WORKERS',
    type: 'string',
    description:
      'Server processes sharing the port: a number, or auto for one per CPU (default 1). Vault key sources only; ' +
      'each process keeps its own key cache, and /metrics answers for the process that serves the scrape',
  },
  shutdownGraceMs: {
    flag: 'shutdown-grace-ms',
    env: 'CODEC_SHUTDOWN_GRACE_MS',
    type: 'string',
    description: 'On SIGTERM/SIGINT, how long in-flight requests may finish (default 10000)',
  },
  nativeAead: {
    flag: 'native-aes-gcm',
    env: 'CODEC_NATIVE_AES_GCM',
    type: 'string',
    description: 'auto (default): the native AES-GCM module when built; off: node:crypto; require: refuse without it',
  },
  ...STORAGE_OPTIONS,
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    type: 'string',
    description: 'fatal, error, warn, info (default), debug, trace or silent',
  },
  help: { flag: 'help', type: 'boolean', description: 'Print this help and exit' },
} as const satisfies Record<string, OptionSpec>;

/** Name of a setting in {@link OPTIONS}. */
export type OptionName = keyof typeof OPTIONS;

/** The `--help` text. */
export function usage(): string {
  const rows = Object.values(OPTIONS).map((spec: OptionSpec) => {
    const flag = spec.flag === undefined ? '' : `--${spec.flag}${spec.type === 'string' ? ' <value>' : ''}`;
    const env = spec.env === undefined ? '' : ` [${spec.env}]`;
    return `  ${`${flag}${env}`.padEnd(58)} ${spec.description}`;
  });
  return ['Usage: temporal-codec-server [options]', '', 'Options (flag [environment variable]):', ...rows, ''].join(
    '\n',
  );
}
