import {
  CachingKeyProvider,
  EncryptionCodec,
  LocalKeyring,
  VaultClient,
  VaultKvStore,
  type VersionedKeyStore,
} from '../codec/index.js';
import type { ExampleConfig } from './config.js';

/** A codec with the key provider behind it, to close together. */
export interface ExampleCodec {
  readonly codec: EncryptionCodec;
  readonly provider: CachingKeyProvider;
  /**
   * Fetches the namespace's newest key version into the cache, so that a worker fails at start-up, not in the middle
   * of a workflow task, when its key source is unreachable. See the README ("When Vault is down") for why a worker
   * must not start processing without it.
   *
   * @throws CodecError ERR_KEY_SOURCE_UNAVAILABLE (or ERR_UNKNOWN_KEY, ERR_KEY_SOURCE_DENIED) from the key source.
   */
  warmUp(): Promise<void>;
  /** Zeroes cached keys and stops the provider's timers. */
  close(): Promise<void>;
}

/**
 * Builds the {@link EncryptionCodec} for `config.namespace` over a caching key provider: the local keyring file or
 * Vault KV v2. Vault keys are never created here: an administrator (or the compose init script) creates them, and
 * a missing key fails with ERR_UNKNOWN_KEY.
 */
export function createCodec(config: Pick<ExampleConfig, 'namespace' | 'keySource' | 'latestKeyTtlMs'>): ExampleCodec {
  const source = config.keySource;
  let store: VersionedKeyStore;
  if (source.kind === 'local') {
    store = new LocalKeyring({ path: source.keyringPath });
  } else {
    const client = new VaultClient({
      endpoint: source.vaultAddr,
      token: source.vaultToken,
      ...(source.vaultNamespace === undefined ? {} : { vaultNamespace: source.vaultNamespace }),
      timeoutMs: source.requestTimeoutMs,
      retries: source.retries,
    });
    store = new VaultKvStore({ client, mount: source.mount, pathPrefix: source.keyPrefix });
  }
  const provider = new CachingKeyProvider(store, { latestTtlMs: config.latestKeyTtlMs });
  const codec = new EncryptionCodec({ namespace: config.namespace, keyProvider: provider });
  return {
    codec,
    provider,
    warmUp: () => codec.warmUp(),
    close: async () => {
      codec.close();
      await provider.close();
    },
  };
}
