import { EncryptionCodec, openKeySource, type KeyProvider } from '../codec/index.js';
import type { ExampleConfig } from './config.js';

/** A codec with the key provider behind it, to close together. */
export interface ExampleCodec {
  readonly codec: EncryptionCodec;
  readonly provider: KeyProvider;
  /**
   * Fetches the namespace's newest key version into the cache, so that a worker fails at start-up, not in the middle
   * of a workflow task, when its key source is unreachable. See the README ("When Vault is down") for why a worker
   * must not start processing without it.
   *
   * @throws CodecError ERR_KEY_SOURCE_UNAVAILABLE (or ERR_UNKNOWN_KEY, ERR_KEY_SOURCE_DENIED) from the key source.
   */
  warmUp(): Promise<void>;
  /** Zeroes cached keys and stops the provider's and the Vault auth's timers. */
  close(): Promise<void>;
}

/**
 * Builds the {@link EncryptionCodec} for `config.namespace` over the library's key source (`openKeySource`): the
 * local keyring file, Vault KV v2 or Vault Transit, logged in with a token, AppRole or Kubernetes. Vault keys are
 * never created here: an administrator (or the compose init script) creates them, and a missing key fails with
 * ERR_UNKNOWN_KEY.
 */
export function createCodec(
  config: Pick<ExampleConfig, 'namespace' | 'keySource' | 'latestKeyTtlMs'> &
    Partial<Pick<ExampleConfig, 'unencrypted'>>,
): ExampleCodec {
  const source = openKeySource(config.keySource, { cache: { latestTtlMs: config.latestKeyTtlMs } });
  const codec = new EncryptionCodec({
    namespace: config.namespace,
    keyProvider: source.provider,
    // Every payload this example writes is encrypted: plaintext in its histories can only be forged.
    unencrypted: config.unencrypted ?? 'reject',
  });
  return {
    codec,
    provider: source.provider,
    warmUp: () => codec.warmUp(),
    close: async () => {
      codec.close();
      await source.close();
    },
  };
}
