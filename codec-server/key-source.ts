import {
  CachingKeyProvider,
  createAuthenticatedVaultClient,
  LocalKeyring,
  VaultKvStore,
  VaultTransitKeyProvider,
  type CachingOptions,
  type KeyProvider,
  type KeyProviderObserver,
  type VaultAuth,
  type VaultAuthObserver,
  type VaultTransitLocation,
  type VaultTransitOptions,
} from '../codec/index.js';
import type { KeySourceConfig } from './config-types.js';

/** What {@link createKeyProvider} needs besides the configuration. */
export interface KeySourceDeps {
  /** Feeds the key cache and key source metrics. */
  readonly observer?: KeyProviderObserver;
  /** Vault token lifecycle events (login, renewal, failures), for logs. */
  readonly authObserver?: VaultAuthObserver;
  /** Where the local keyring's development-only warning goes. */
  readonly warn?: (message: string) => void;
  /**
   * Cache limits; the library's defaults when absent. In Transit mode `latestTtlMs` bounds a data key's encrypt
   * lifetime, `versionMaxAgeMs` an unwrapped data key's, and `maxCachedVersions` the unwrapped data keys kept.
   */
  readonly cache?: Omit<CachingOptions, 'observer'>;
}

/** A key provider and a one-line description of where its keys come from (for the startup line; no secrets). */
export interface KeySource {
  readonly provider: KeyProvider;
  readonly description: string;
}

/**
 * Builds the key provider the whole server shares: a {@link CachingKeyProvider} over the local keyring file or over
 * Vault KV v2, or a {@link VaultTransitKeyProvider} (envelope encryption). One provider for all namespaces means one
 * cache and one set of in-flight Vault requests. Vault sources log in with the configured auth method; the
 * provider's `close()` also stops its renewal timers.
 *
 * The server never creates Vault keys (an administrator does, with least privilege kept off the server); the local
 * keyring creates a namespace's key on first use, as the zero-setup development default.
 */
export function createKeyProvider(config: KeySourceConfig, deps: KeySourceDeps = {}): KeySource {
  const cache: CachingOptions = { ...deps.cache, ...(deps.observer === undefined ? {} : { observer: deps.observer }) };
  if (config.kind === 'local') {
    const store = new LocalKeyring({
      path: config.keyringPath,
      ...(deps.warn === undefined ? {} : { warn: deps.warn }),
    });
    return { provider: new CachingKeyProvider(store, cache), description: `local keyring ${config.keyringPath}` };
  }
  const { client, auth } = createAuthenticatedVaultClient(
    {
      endpoint: config.addr,
      ...(config.vaultNamespace === undefined ? {} : { vaultNamespace: config.vaultNamespace }),
    },
    config.auth,
    deps.authObserver === undefined ? {} : { observer: deps.authObserver },
  );
  const via = `(auth ${config.auth.method})`;
  try {
    if (config.kind === 'vault-kv') {
      const store = new VaultKvStore({ client, mount: config.mount, pathPrefix: config.pathPrefix });
      return {
        provider: alsoClosing(new CachingKeyProvider(store, cache), auth),
        description: `vault-kv ${client.endpoint}/v1/${config.mount}/data/${config.pathPrefix}<namespace> ${via}`,
      };
    }
    const provider = new VaultTransitKeyProvider({
      client,
      mount: config.mount,
      keyPrefix: config.keyPrefix,
      ...transitCacheOptions(cache),
    });
    return {
      provider: alsoClosing(provider, auth),
      description: `vault-transit ${client.endpoint}/v1/${config.mount}/keys/${config.keyPrefix}<namespace> ${via}`,
    };
  } catch (err) {
    // A provider refusing its options must not leave the auth's timers behind.
    auth.close();
    throw err;
  }
}

/** The Transit provider's equivalents of the cache limits: its data keys play the part of key versions. */
function transitCacheOptions(cache: CachingOptions): Omit<VaultTransitOptions, keyof VaultTransitLocation> {
  return {
    ...(cache.latestTtlMs === undefined ? {} : { dataKeyMaxAgeMs: cache.latestTtlMs }),
    ...(cache.versionMaxAgeMs === undefined ? {} : { unwrappedKeyMaxAgeMs: cache.versionMaxAgeMs }),
    ...(cache.maxCachedVersions === undefined ? {} : { maxCachedDataKeys: cache.maxCachedVersions }),
    ...(cache.staleIfErrorMs === undefined ? {} : { staleIfErrorMs: cache.staleIfErrorMs }),
    ...(cache.keyIdFor === undefined ? {} : { keyIdFor: cache.keyIdFor }),
    ...(cache.observer === undefined ? {} : { observer: cache.observer }),
    ...(cache.now === undefined ? {} : { now: cache.now }),
  };
}

/** `provider`, whose `close()` also stops `auth`'s renewal timers (which would otherwise outlive the server). */
function alsoClosing(provider: KeyProvider, auth: VaultAuth): KeyProvider {
  const fastPath = provider.currentEncryptionRef?.bind(provider);
  return {
    keyIdFor: (namespace) => provider.keyIdFor(namespace),
    encryptionKey: (namespace, payloadCount) => provider.encryptionKey(namespace, payloadCount),
    ...(fastPath === undefined ? {} : { currentEncryptionRef: fastPath }),
    decryptionKey: (namespace, ref) => provider.decryptionKey(namespace, ref),
    checkHealth: () => provider.checkHealth(),
    async close() {
      try {
        await provider.close();
      } finally {
        auth.close();
      }
    },
  };
}
