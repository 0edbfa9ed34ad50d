import type { S3Client } from '@aws-sdk/client-s3';
import { S3StorageDriver, type S3StorageDriverClient } from '@temporalio/external-storage-s3';
import { S3ObjectClient, createS3Client, describeConnection } from '../../codec/storage/index.js';
import { S3NamespaceStorage, type NamespaceStorage } from './namespace-storage.js';
import type { StorageConfigEntries } from './storage-config-file.js';
import type { NamespaceStorageSettings, StorageLimits, StorageSettings } from './storage-settings.js';

/** Where one S3 client connects. */
export interface StorageConnection {
  readonly endpoint?: string;
  readonly region?: string;
}

/** Options of {@link StorageRegistry}. */
export interface StorageRegistryOptions {
  readonly settings: StorageSettings;
  /** Per-namespace entries of `--storage-config`. */
  readonly entries?: StorageConfigEntries;
  /**
   * The object client of a connection. Default: {@link S3ObjectClient} over an AWS SDK client whose credentials come
   * from the AWS SDK's default chain.
   */
  readonly objectClient?: (connection: StorageConnection, maxObjectBytes: number) => S3StorageDriverClient;
}

/** Storages kept at most (namespaces come from request headers, so the map must be bounded). */
const MAX_NAMESPACES = 256;

/**
 * Each namespace's external storage, resolved once: `--storage-config`'s entry for the namespace, else its `*` entry,
 * else the `--storage-bucket` settings, else none (storage off). One S3 client per endpoint and region, shared by the
 * namespaces that use it.
 */
export class StorageRegistry {
  readonly limits: StorageLimits;
  readonly #settings: StorageSettings;
  readonly #entries: StorageConfigEntries;
  readonly #objectClient: (connection: StorageConnection, maxObjectBytes: number) => S3StorageDriverClient;
  readonly #clients = new Map<string, S3StorageDriverClient>();
  readonly #storages = new Map<string, NamespaceStorage>();
  readonly #owned: S3Client[] = [];

  constructor(options: StorageRegistryOptions) {
    this.#settings = options.settings;
    this.limits = options.settings.limits;
    this.#entries = options.entries ?? new Map();
    this.#objectClient =
      options.objectClient ??
      ((connection, maxObjectBytes) => {
        const s3 = createS3Client(connection);
        this.#owned.push(s3);
        return new S3ObjectClient({ s3, maxObjectBytes, describe: describeConnection(connection) });
      });
  }

  /** True when at least one namespace has storage. */
  get enabled(): boolean {
    return this.#settings.shared !== undefined || this.#entries.size > 0;
  }

  /** The settings in effect for `namespace`, or `undefined` when it has no storage. */
  settingsOf(namespace: string): NamespaceStorageSettings | undefined {
    return this.#entries.get(namespace) ?? this.#entries.get('*') ?? this.#settings.shared;
  }

  /** The storage of `namespace` (validated by the caller), or `undefined` when it has none configured. */
  get(namespace: string): NamespaceStorage | undefined {
    const known = this.#storages.get(namespace);
    if (known !== undefined) return known;
    const settings = this.settingsOf(namespace);
    if (settings === undefined) return undefined;
    const region = settings.region ?? this.#settings.region;
    const connection = {
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(region === undefined ? {} : { region }),
    };
    const clientKey = `${connection.endpoint ?? ''}\u0000${connection.region ?? ''}`;
    let client = this.#clients.get(clientKey);
    if (client === undefined) {
      client = this.#objectClient(connection, this.limits.maxBlobBytes);
      this.#clients.set(clientKey, client);
    }
    const driver = new S3StorageDriver({
      client,
      bucket: settings.bucket,
      driverName: settings.driverName,
      maxPayloadSize: this.limits.maxBlobBytes,
    });
    const storage = new S3NamespaceStorage({ namespace, settings, driver, maxBlobBytes: this.limits.maxBlobBytes });
    if (this.#storages.size >= MAX_NAMESPACES) this.#storages.clear();
    this.#storages.set(namespace, storage);
    return storage;
  }

  /** Closes the S3 clients this registry created. */
  close(): void {
    for (const s3 of this.#owned) s3.destroy();
    this.#owned.length = 0;
    this.#clients.clear();
    this.#storages.clear();
  }
}
