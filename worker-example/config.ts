import { z } from 'zod';
import {
  CodecError,
  ERROR_CODES,
  keySourceFromEnv,
  UNENCRYPTED_MODES,
  type KeySourceConfig,
  type UnencryptedMode,
} from '../codec/index.js';

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
  /** Where keys come from: the library's key source, read from the codec server's variables. */
  readonly keySource: KeySourceConfig;
  /** How long "the newest key version" is cached, so a rotation reaches this process within that time. */
  readonly latestKeyTtlMs: number;
  /**
   * What the codec does with unencrypted payloads (`CODEC_UNENCRYPTED`, the codec server's variable): `reject` by
   * default here, since every payload this example writes is encrypted, so forged plaintext never reaches workflow
   * code; `allow` only while histories written before encryption are still open.
   */
  readonly unencrypted: UnencryptedMode;
  /** Set with `EXTERNAL_STORAGE=s3`: large payloads go to S3 (sealed), the history keeps references. */
  readonly storage?: ExampleStorageConfig;
}

const nonEmpty = z.string().trim().min(1);
const milliseconds = z.coerce.number().int().nonnegative();

// The example's own variables; the key source ones are the library's (KEY_SOURCE_SETTINGS).
const envSchema = z.object({
  TEMPORAL_ADDRESS: nonEmpty.default('localhost:7233'),
  TEMPORAL_NAMESPACE: nonEmpty.default('default'),
  TASK_QUEUE: nonEmpty.default('encrypted-orders'),
  KEY_LATEST_TTL_MS: milliseconds.default(60_000),
  CODEC_UNENCRYPTED: z.enum(UNENCRYPTED_MODES).default('reject'),
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
 * The key source is read by the library's `keySourceFromEnv` with the codec server's variables and rules, so one
 * environment file configures both: `KEY_SOURCE` defaults to `vault-kv` when `VAULT_ADDR` is set, else `local`, and
 * Vault logs in with `VAULT_AUTH_METHOD` (token, AppRole or Kubernetes).
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
    keySource: keySourceFromEnv(env),
    latestKeyTtlMs: e.KEY_LATEST_TTL_MS,
    unencrypted: e.CODEC_UNENCRYPTED,
    ...(storage === undefined ? {} : { storage }),
  });
}
