import { CachingKeyProvider, EncryptionCodec, LocalKeyring, type KeyProvider } from '../../codec/index.js';
import { createKeyProvider } from '../../codec-server/key-source.js';
import type { SourceOptions } from '../cli-options.js';
import type { OpenedCodec } from '../command-context.js';

/**
 * The codec a worker of `namespace` would use, over the key source the CLI was given. It needs what a worker needs
 * (read KV versions, or Transit `datakey` and `decrypt`), not the key-admin policy. Keys are never created here,
 * not even in the local keyring.
 */
export function openCodec(source: SourceOptions, namespace: string, warn: (message: string) => void): OpenedCodec {
  const provider: KeyProvider =
    source.kind === 'local'
      ? new CachingKeyProvider(new LocalKeyring({ path: source.keyringPath, createMissingKeys: false, warn }))
      : createKeyProvider(
          source.kind === 'vault-kv'
            ? { ...vault(source), kind: 'vault-kv', mount: source.kvMount, pathPrefix: source.kvPrefix }
            : {
                ...vault(source),
                kind: 'vault-transit',
                mount: source.transitMount,
                keyPrefix: source.transitKeyPrefix,
              },
          { warn },
        ).provider;
  const codec = new EncryptionCodec({ namespace, keyProvider: provider });
  return {
    codec,
    async currentKey() {
      const material = await provider.encryptionKey(namespace, 1);
      material.key.fill(0);
      return { keyId: material.keyId, version: material.version };
    },
    async close() {
      codec.close();
      await provider.close();
    },
  };
}

function vault(source: Extract<SourceOptions, { kind: 'vault-kv' | 'vault-transit' }>) {
  return {
    addr: source.addr,
    auth: source.auth,
    ...(source.vaultNamespace === undefined ? {} : { vaultNamespace: source.vaultNamespace }),
  };
}
