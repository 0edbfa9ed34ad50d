import { z } from 'zod';
import { CodecError, ERROR_CODES, assertNamespace, settingFields } from '../../codec/index.js';
import { DEFAULT_S3_DRIVER_NAME } from '../../codec/storage/index.js';
import { bucketName } from './storage-options.js';
import { DEFAULT_KEY_PREFIX, type NamespaceStorageSettings } from './storage-settings.js';

const { httpUrl, text } = settingFields;

const entry = z.strictObject({
  bucket: bucketName,
  endpoint: httpUrl.optional(),
  region: text.optional(),
  keyPrefix: z.string().max(512).optional(),
  driverName: text.optional(),
});
const file = z.record(z.string(), entry);

/** Per-namespace storage settings from `--storage-config`; `*` applies to every namespace not named. */
export type StorageConfigEntries = ReadonlyMap<string, NamespaceStorageSettings>;

/**
 * Parses the `--storage-config` file: a JSON object from namespace (or `*`) to `{bucket, endpoint?, region?,
 * keyPrefix?, driverName?}`. Unknown fields are refused, so a misspelt setting cannot silently fall back to a default.
 *
 * @throws CodecError `ERR_INVALID_CONFIG` naming the file and every problem.
 */
export function parseStorageConfig(text: string, source: string): StorageConfigEntries {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CodecError(ERROR_CODES.invalidConfig, `${source} is not valid JSON`);
  }
  const parsed = file.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new CodecError(
      ERROR_CODES.invalidConfig,
      [`${source} is not a storage configuration:`, ...problems].join('\n'),
    );
  }
  const entries = new Map<string, NamespaceStorageSettings>();
  for (const [namespace, settings] of Object.entries(parsed.data)) {
    if (namespace !== '*') {
      try {
        assertNamespace(namespace);
      } catch {
        throw new CodecError(
          ERROR_CODES.invalidConfig,
          `${source}: ${JSON.stringify(namespace)} is not a namespace name`,
        );
      }
    }
    entries.set(namespace, {
      bucket: settings.bucket,
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(settings.region === undefined ? {} : { region: settings.region }),
      keyPrefix: settings.keyPrefix ?? DEFAULT_KEY_PREFIX,
      driverName: settings.driverName ?? DEFAULT_S3_DRIVER_NAME,
    });
  }
  return entries;
}
