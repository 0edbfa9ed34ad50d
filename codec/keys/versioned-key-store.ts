/** A key version's state. Only `active` versions encrypt; `inactive` ones still decrypt; `destroyed` ones never do. */
export type KeyVersionState = 'active' | 'inactive' | 'destroyed';

/** One row of a key's version list. */
export interface KeyVersionInfo {
  readonly version: number;
  readonly createdAt: string;
  readonly state: KeyVersionState;
}

/** The newest active version of a key, with its material. */
export interface LatestKey {
  readonly version: number;
  readonly key: Buffer;
}

/**
 * A store of versioned raw keys (Vault KV v2, the local keyring file). No caching here: {@link CachingKeyProvider}
 * wraps it. Errors are `CodecError`s: ERR_UNKNOWN_KEY, ERR_UNKNOWN_KEY_VERSION, ERR_KEY_VERSION_DESTROYED,
 * ERR_KEY_SOURCE_UNAVAILABLE (retryable), ERR_KEY_SOURCE_DENIED.
 */
export interface VersionedKeyStore {
  /** Short name for logs and metrics, e.g. `vault-kv`. */
  readonly kind: string;
  /** The newest active version; creates the key first when the store is configured to. */
  readLatest(keyId: string): Promise<LatestKey>;
  /** Exactly `version` (active or inactive). */
  readVersion(keyId: string, version: number): Promise<Buffer>;
  /** Throws ERR_KEY_SOURCE_UNAVAILABLE when the store cannot be reached. */
  checkHealth(): Promise<void>;
}
