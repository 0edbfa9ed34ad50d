import { EncryptionCodec, openKeySource } from '../../codec/index.js';
import type { SourceOptions } from '../cli-options.js';
import type { OpenedCodec } from '../command-context.js';

/**
 * The codec a worker of `namespace` would use, over the key source the CLI was given (the library's
 * `openKeySource`). It needs what a worker needs (read KV versions, or Transit `datakey` and `decrypt`), not the
 * key-admin policy. Keys are never created here, not even in the local keyring.
 */
export function openCodec(source: SourceOptions, namespace: string, warn: (message: string) => void): OpenedCodec {
  const keySource = openKeySource(source, { warn, createMissingKeys: false });
  const codec = new EncryptionCodec({ namespace, keyProvider: keySource.provider });
  const scope = { namespace, keyId: codec.keyId };
  return {
    codec,
    async currentKey() {
      const material = await keySource.provider.encryptionKey(scope, 1);
      material.key.fill(0);
      return { keyId: material.keyId, version: material.version };
    },
    async close() {
      codec.close();
      await keySource.close();
    },
  };
}
