import {
  CodecError,
  ERROR_CODES,
  samplesKeysFromFile,
  samplesKeysFromVault,
  type SamplesProfileOptions,
  type VaultClient,
} from '../codec/index.js';
import type { SamplesSettings } from './samples-settings.js';

/**
 * The codecs' samples profile from the server's settings: keys from the JSON file, or from Vault KV v2 through the
 * key source's own logged-in client. Undefined when the profile is off.
 *
 * @throws CodecError ERR_INVALID_CONFIG when the keys are in Vault but the key source is not.
 */
export function createSamplesProfile(
  settings: SamplesSettings | undefined,
  vaultClient: VaultClient | undefined,
  readFile?: (path: string) => Promise<string>,
): SamplesProfileOptions | undefined {
  if (settings === undefined) return undefined;
  let keys;
  if ('file' in settings.keys) {
    keys = samplesKeysFromFile(settings.keys.file, readFile);
  } else {
    if (vaultClient === undefined) {
      throw new CodecError(ERROR_CODES.invalidConfig, '--samples-keys-vault-path needs a Vault key source');
    }
    keys = samplesKeysFromVault({ client: vaultClient, path: settings.keys.vaultPath });
  }
  return {
    keys,
    serialization: settings.serialization,
    ...(settings.namespaceKeyIds === undefined ? {} : { namespaceKeyIds: settings.namespaceKeyIds }),
  };
}
