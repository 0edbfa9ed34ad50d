import { createAuthenticatedVaultClient } from './auth/create-vault-auth.js';
import type { ReadTextFile } from './auth/secret-source.js';
import type { VaultAuthObserver } from './auth/vault-auth.js';
import { CachingKeyProvider, type CachingOptions } from './caching-key-provider.js';
import type { KeyProvider, KeyProviderObserver } from './key-provider.js';
import type { KeySourceConfig } from './key-source.js';
import { LocalKeyring } from './local-keyring.js';
import type { VaultClient } from './vault-client.js';
import { VaultKvStore } from './vault-kv.js';
import type { VaultTransitLocation } from './vault-transit-client.js';
import { VaultTransitKeyProvider, type VaultTransitOptions } from './vault-transit.js';

/** What {@link connectKeySource} needs besides the configuration. */
export interface ConnectKeySourceDeps {
  /** Vault token lifecycle events (login, renewal, failures), for logs. */
  readonly authObserver?: VaultAuthObserver;
  /** Where the local keyring's development-only warning goes. */
  readonly warn?: (message: string) => void;
  /** Reads AppRole / Kubernetes credential files. */
  readonly readFile?: ReadTextFile;
  /**
   * Whether the local keyring creates a namespace's key on first use. Default true, the zero-setup development
   * default; an administrator's tool passes false so that reads never create keys. Vault keys are never created.
   */
  readonly createMissingKeys?: boolean;
}

/**
 * A connected key source below the key provider: the store (local keyring, Vault KV v2) or the Transit location,
 * for programs that administer keys rather than use them.
 */
export type KeySourceConnection = (
  | { readonly kind: 'local'; readonly store: LocalKeyring }
  | { readonly kind: 'vault-kv'; readonly store: VaultKvStore; readonly client: VaultClient }
  | { readonly kind: 'vault-transit'; readonly transit: Required<VaultTransitLocation>; readonly client: VaultClient }
) & {
  /** Where keys come from, in one line without secrets (for a startup line). */
  describe(): string;
  /** Stops the Vault auth's renewal timers. */
  close(): void;
};

/**
 * Connects to the key source `config` names: opens the keyring file, or builds a Vault client logged in with the
 * configured auth method (lazily, at the first request).
 */
export function connectKeySource(config: KeySourceConfig, deps: ConnectKeySourceDeps = {}): KeySourceConnection {
  if (config.kind === 'local') {
    const store = new LocalKeyring({
      path: config.keyringPath,
      ...(deps.createMissingKeys === undefined ? {} : { createMissingKeys: deps.createMissingKeys }),
      ...(deps.warn === undefined ? {} : { warn: deps.warn }),
    });
    return { kind: 'local', store, describe: () => `local keyring ${config.keyringPath}`, close: () => undefined };
  }
  const { client, auth } = createAuthenticatedVaultClient(
    {
      endpoint: config.addr,
      ...(config.vaultNamespace === undefined ? {} : { vaultNamespace: config.vaultNamespace }),
      ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
      ...(config.retries === undefined ? {} : { retries: config.retries }),
    },
    config.auth,
    {
      ...(deps.authObserver === undefined ? {} : { observer: deps.authObserver }),
      ...(deps.readFile === undefined ? {} : { readFile: deps.readFile }),
    },
  );
  const via = `(auth ${config.auth.method})`;
  const close = () => auth.close();
  try {
    if (config.kind === 'vault-kv') {
      const store = new VaultKvStore({ client, mount: config.mount, pathPrefix: config.pathPrefix });
      const where = `${client.endpoint}/v1/${config.mount}/data/${config.pathPrefix}<namespace>`;
      return { kind: 'vault-kv', store, client, describe: () => `vault-kv ${where} ${via}`, close };
    }
    const transit = { client, mount: config.mount, keyPrefix: config.keyPrefix };
    const where = `${client.endpoint}/v1/${config.mount}/keys/${config.keyPrefix}<namespace>`;
    return { kind: 'vault-transit', transit, client, describe: () => `vault-transit ${where} ${via}`, close };
  } catch (err) {
    // A store refusing its options must not leave the auth's timers behind.
    auth.close();
    throw err;
  }
}

/** What {@link openKeySource} needs besides the configuration. */
export interface OpenKeySourceDeps extends ConnectKeySourceDeps {
  /** Feeds the key cache and key source metrics. */
  readonly observer?: KeyProviderObserver;
  /**
   * Cache limits; the library's defaults when absent. In Transit mode `latestTtlMs` bounds a data key's encrypt
   * lifetime, `versionMaxAgeMs` an unwrapped data key's, and `maxCachedVersions` the unwrapped data keys kept.
   */
  readonly cache?: Omit<CachingOptions, 'observer'>;
}

/** An opened key source: the provider codecs use, where it reads from, and how to release it. */
export interface OpenedKeySource {
  readonly provider: KeyProvider;
  /** Where keys come from, in one line without secrets (for a startup line). */
  describe(): string;
  /** Zeroes cached keys, stops the provider's timers and the Vault auth's renewal timers. */
  close(): Promise<void>;
  /** The logged-in Vault client of a Vault key source, for other reads under the same login (samples keys). */
  readonly vaultClient?: VaultClient;
}

/**
 * Opens the key provider a whole process shares: a {@link CachingKeyProvider} over the local keyring file or over
 * Vault KV v2, or a {@link VaultTransitKeyProvider} (envelope encryption). One provider for all namespaces means one
 * cache and one set of in-flight Vault requests.
 *
 * Vault keys are never created here (an administrator does, with least privilege kept off workers and servers); the
 * local keyring creates a namespace's key on first use, as the zero-setup development default, unless
 * `createMissingKeys` is false.
 */
export function openKeySource(config: KeySourceConfig, deps: OpenKeySourceDeps = {}): OpenedKeySource {
  const connection = connectKeySource(config, deps);
  const cache: CachingOptions = { ...deps.cache, ...(deps.observer === undefined ? {} : { observer: deps.observer }) };
  let provider: KeyProvider;
  try {
    provider =
      connection.kind === 'vault-transit'
        ? new VaultTransitKeyProvider({ ...connection.transit, ...transitCacheOptions(cache) })
        : new CachingKeyProvider(connection.store, cache);
  } catch (err) {
    connection.close();
    throw err;
  }
  return {
    provider,
    ...(connection.kind === 'local' ? {} : { vaultClient: connection.client }),
    describe: () => connection.describe(),
    async close() {
      try {
        await provider.close();
      } finally {
        connection.close();
      }
    },
  };
}

/** The Transit provider's equivalents of the cache limits: its data keys play the part of key versions. */
function transitCacheOptions(cache: CachingOptions): Omit<VaultTransitOptions, keyof VaultTransitLocation> {
  return {
    ...(cache.latestTtlMs === undefined ? {} : { dataKeyMaxAgeMs: cache.latestTtlMs }),
    ...(cache.versionMaxAgeMs === undefined ? {} : { unwrappedKeyMaxAgeMs: cache.versionMaxAgeMs }),
    ...(cache.maxCachedVersions === undefined ? {} : { maxCachedDataKeys: cache.maxCachedVersions }),
    ...(cache.staleIfErrorMs === undefined ? {} : { staleIfErrorMs: cache.staleIfErrorMs }),
    ...(cache.negativeTtlMs === undefined ? {} : { negativeTtlMs: cache.negativeTtlMs }),
    ...(cache.maxConcurrentRequests === undefined ? {} : { maxConcurrentRequests: cache.maxConcurrentRequests }),
    ...(cache.keyIdFor === undefined ? {} : { keyIdFor: cache.keyIdFor }),
    ...(cache.observer === undefined ? {} : { observer: cache.observer }),
    ...(cache.now === undefined ? {} : { now: cache.now }),
  };
}
