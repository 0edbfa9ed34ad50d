import { DEFAULT_S3_DRIVER_NAME } from '../../codec/storage/index.js';
import type { ServerSettingName } from '../config-settings.js';

/** Where one namespace's stored payloads are, and what its references may name. */
export interface NamespaceStorageSettings {
  readonly bucket: string;
  readonly endpoint?: string;
  readonly region?: string;
  /** Template of the prefix every reference key must have; `{namespace}` is the request namespace, encoded. */
  readonly keyPrefix: string;
  /** The `driverName` the workers' S3 driver writes. */
  readonly driverName: string;
}

/** Limits of storage retrieval, for every namespace. */
export interface StorageLimits {
  readonly maxBlobBytes: number;
  readonly maxReferences: number;
  readonly timeoutMs: number;
}

/** The codec server's external storage configuration. Storage is off for a namespace with no settings. */
export interface StorageSettings {
  /** From `--storage-bucket` and its companions: every namespace served, unless the file names it. */
  readonly shared?: NamespaceStorageSettings;
  /** `--storage-config`: read at start, per namespace (`*` for every other). */
  readonly configFile?: string;
  /** `--storage-region` (`AWS_REGION`): the region of every namespace's bucket that names none. */
  readonly region?: string;
  readonly limits: StorageLimits;
}

/** The default reference key prefix: the namespace's own part of the S3 driver's key layout. */
export const DEFAULT_KEY_PREFIX = 'v0/ns/{namespace}/';

/** The storage settings once each is valid on its own. */
interface StorageRaw {
  readonly storageBucket?: string | undefined;
  readonly storageEndpoint?: string | undefined;
  readonly storageRegion?: string | undefined;
  readonly storageKeyPrefix?: string | undefined;
  readonly storageDriverName?: string | undefined;
  readonly storageConfig?: string | undefined;
  readonly storageMaxBlob: number;
  readonly storageMaxReferences: number;
  readonly storageTimeoutMs: number;
}

/** Refuses settings that only make sense with a bucket when none is given. */
export function checkStorage(raw: StorageRaw, fail: (setting: ServerSettingName, message: string) => void): void {
  if (raw.storageBucket !== undefined) return;
  for (const name of ['storageEndpoint', 'storageKeyPrefix', 'storageDriverName'] as const) {
    if (raw[name] !== undefined) fail(name, 'needs --storage-bucket (or give it per namespace in --storage-config)');
  }
}

/** The storage settings of validated raw input. */
export function toStorageSettings(raw: StorageRaw): StorageSettings {
  const limits = {
    maxBlobBytes: raw.storageMaxBlob,
    maxReferences: raw.storageMaxReferences,
    timeoutMs: raw.storageTimeoutMs,
  };
  const shared =
    raw.storageBucket === undefined
      ? undefined
      : {
          bucket: raw.storageBucket,
          ...(raw.storageEndpoint === undefined ? {} : { endpoint: raw.storageEndpoint }),
          keyPrefix: raw.storageKeyPrefix ?? DEFAULT_KEY_PREFIX,
          driverName: raw.storageDriverName ?? DEFAULT_S3_DRIVER_NAME,
        };
  return {
    ...(shared === undefined ? {} : { shared }),
    ...(raw.storageConfig === undefined ? {} : { configFile: raw.storageConfig }),
    ...(raw.storageRegion === undefined ? {} : { region: raw.storageRegion }),
    limits,
  };
}
