import { z } from 'zod';
import { CodecError, ERROR_CODES } from '../codec/index.js';

/** Where the example's keys come from. */
export type KeySourceConfig =
  | {
      readonly kind: 'local';
      /** Keyring file; created (mode 0600) with a fresh key on first use. Development only. */
      readonly keyringPath: string;
    }
  | {
      readonly kind: 'vault-kv';
      readonly vaultAddr: string;
      readonly vaultToken: string;
      /** Vault Enterprise / OpenBao namespace, not a Temporal namespace. */
      readonly vaultNamespace?: string;
      /** KV v2 mount. */
      readonly mount: string;
      /** Prefix of the per-namespace key secrets. */
      readonly keyPrefix: string;
      /** Per-attempt Vault request timeout. */
      readonly requestTimeoutMs: number;
      /** Retries of a failed Vault request (network errors, 5xx). */
      readonly retries: number;
    };

/** External payload storage (off unless `EXTERNAL_STORAGE=s3`). */
export interface ExampleStorageConfig {
  readonly bucket: string;
  /** An S3-compatible endpoint; default AWS S3. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Sealed payloads of at least this many bytes are stored. */
  readonly thresholdBytes: number;
}

/** Everything the example worker and client need, read once at start-up by {@link loadExampleConfig}. */
export interface ExampleConfig {
  /** Frontend address, `host:port`. */
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly keySource: KeySourceConfig;
  /** How long "the newest key version" is cached, so a rotation reaches this process within that time. */
  readonly latestKeyTtlMs: number;
  /** Set with `EXTERNAL_STORAGE=s3`: large payloads go to S3 (sealed), the history keeps references. */
  readonly storage?: ExampleStorageConfig;
}

const nonEmpty = z.string().trim().min(1);
const milliseconds = z.coerce.number().int().nonnegative();

// Variable names match the codec server's, so one environment file can configure both.
const envSchema = z.object({
  TEMPORAL_ADDRESS: nonEmpty.default('localhost:7233'),
  TEMPORAL_NAMESPACE: nonEmpty.default('default'),
  TASK_QUEUE: nonEmpty.default('encrypted-orders'),
  KEY_SOURCE: z.enum(['local', 'vault-kv']).optional(),
  KEYRING_PATH: nonEmpty.default('.codec-keyring.json'),
  VAULT_ADDR: z.url({ protocol: /^https?$/ }).optional(),
  VAULT_TOKEN: nonEmpty.optional(),
  VAULT_NAMESPACE: nonEmpty.optional(),
  VAULT_KV_MOUNT: nonEmpty.default('secret'),
  VAULT_KEY_PREFIX: z.string().default('temporal-codec/'),
  VAULT_TIMEOUT_MS: milliseconds.default(5_000),
  VAULT_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  KEY_LATEST_TTL_MS: milliseconds.default(60_000),
  EXTERNAL_STORAGE: z.enum(['off', 's3']).default('off'),
  // The codec server's names: one environment file configures both. Credentials: the AWS SDK's default chain.
  CODEC_STORAGE_BUCKET: nonEmpty.optional(),
  CODEC_STORAGE_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  AWS_REGION: nonEmpty.optional(),
  CODEC_STORAGE_THRESHOLD: z.coerce
    .number()
    .int()
    .min(0)
    .default(256 * 1024),
});

/**
 * Reads and validates the example's environment. Pure: the entry scripts call it once with `process.env` and pass
 * the result down; nothing else reads the environment.
 *
 * `KEY_SOURCE` defaults to `vault-kv` when `VAULT_ADDR` is set, else `local` (the codec server's rule).
 *
 * @throws CodecError ERR_INVALID_CONFIG naming every invalid or missing variable (never their values).
 */
export function loadExampleConfig(env: Readonly<Record<string, string | undefined>>): ExampleConfig {
  // Empty strings are what `VAR=` in a compose file or shell gives; treat them as unset.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new CodecError(ERROR_CODES.invalidConfig, `Invalid example configuration: ${fields}`);
  }
  const e = parsed.data;
  const kind = e.KEY_SOURCE ?? (e.VAULT_ADDR === undefined ? 'local' : 'vault-kv');
  let keySource: KeySourceConfig;
  if (kind === 'local') {
    keySource = { kind, keyringPath: e.KEYRING_PATH };
  } else {
    if (e.VAULT_ADDR === undefined || e.VAULT_TOKEN === undefined) {
      const missing = (['VAULT_ADDR', 'VAULT_TOKEN'] as const).filter((name) => e[name] === undefined);
      throw new CodecError(ERROR_CODES.invalidConfig, `KEY_SOURCE=vault-kv needs ${missing.join(', ')}`);
    }
    keySource = {
      kind,
      vaultAddr: e.VAULT_ADDR,
      vaultToken: e.VAULT_TOKEN,
      ...(e.VAULT_NAMESPACE === undefined ? {} : { vaultNamespace: e.VAULT_NAMESPACE }),
      mount: e.VAULT_KV_MOUNT,
      keyPrefix: e.VAULT_KEY_PREFIX,
      requestTimeoutMs: e.VAULT_TIMEOUT_MS,
      retries: e.VAULT_RETRIES,
    };
  }
  let storage: ExampleStorageConfig | undefined;
  if (e.EXTERNAL_STORAGE === 's3') {
    if (e.CODEC_STORAGE_BUCKET === undefined) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'EXTERNAL_STORAGE=s3 needs CODEC_STORAGE_BUCKET');
    }
    storage = Object.freeze({
      bucket: e.CODEC_STORAGE_BUCKET,
      ...(e.CODEC_STORAGE_ENDPOINT === undefined ? {} : { endpoint: e.CODEC_STORAGE_ENDPOINT }),
      ...(e.AWS_REGION === undefined ? {} : { region: e.AWS_REGION }),
      thresholdBytes: e.CODEC_STORAGE_THRESHOLD,
    });
  }
  return Object.freeze({
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TASK_QUEUE,
    keySource: Object.freeze(keySource),
    latestKeyTtlMs: e.KEY_LATEST_TTL_MS,
    ...(storage === undefined ? {} : { storage }),
  });
}
