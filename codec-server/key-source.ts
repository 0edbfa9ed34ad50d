import {
  CachingKeyProvider,
  LocalKeyring,
  VaultClient,
  VaultKvStore,
  type CachingOptions,
  type KeyProvider,
  type KeyProviderObserver,
} from '../codec/index.js';
import type { KeySourceConfig } from './config-types.js';

/** What {@link createKeyProvider} needs besides the configuration. */
export interface KeySourceDeps {
  /** Feeds the key cache and key source metrics. */
  readonly observer?: KeyProviderObserver;
  /** Where the local keyring's development-only warning goes. */
  readonly warn?: (message: string) => void;
  /** Cache limits; the library's defaults when absent. */
  readonly cache?: Omit<CachingOptions, 'observer'>;
}

/** A key provider and a one-line description of where its keys come from (for the startup line; no secrets). */
export interface KeySource {
  readonly provider: KeyProvider;
  readonly description: string;
}

/**
 * Builds the key provider the whole server shares: a {@link CachingKeyProvider} over the local keyring file or over
 * Vault KV v2. One provider for all namespaces means one cache and one set of in-flight Vault requests.
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
  const client = new VaultClient({
    endpoint: config.addr,
    token: config.token,
    ...(config.vaultNamespace === undefined ? {} : { vaultNamespace: config.vaultNamespace }),
  });
  const store = new VaultKvStore({ client, mount: config.mount, pathPrefix: config.pathPrefix });
  return {
    provider: new CachingKeyProvider(store, cache),
    description: `vault-kv ${client.endpoint}/v1/${config.mount}/data/${config.pathPrefix}<namespace>`,
  };
}
