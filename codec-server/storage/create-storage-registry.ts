import { CodecError, ERROR_CODES } from '../../codec/index.js';
import { parseStorageConfig, type StorageConfigEntries } from './storage-config-file.js';
import { StorageRegistry } from './storage-registry.js';
import type { StorageSettings } from './storage-settings.js';

/**
 * The storage registry of the configuration, reading `--storage-config` now so that a bad file stops the server at
 * boot rather than at the first download. A file entry `*` and `--storage-bucket` both claim every namespace: refused.
 *
 * @throws CodecError `ERR_INVALID_CONFIG` naming the file or the conflict.
 */
export async function createStorageRegistry(
  settings: StorageSettings,
  readFile: (path: string) => Promise<string>,
): Promise<StorageRegistry> {
  let entries: StorageConfigEntries | undefined;
  if (settings.configFile !== undefined) {
    const source = `--storage-config ${settings.configFile}`;
    let text: string;
    try {
      text = await readFile(settings.configFile);
    } catch (cause) {
      throw new CodecError(ERROR_CODES.invalidConfig, `cannot read ${source}`, { cause });
    }
    entries = parseStorageConfig(text, source);
    if (entries.has('*') && settings.shared !== undefined) {
      throw new CodecError(
        ERROR_CODES.invalidConfig,
        `${source} has a "*" entry and --storage-bucket is set: both apply to every namespace; keep one`,
      );
    }
  }
  return new StorageRegistry({ settings, ...(entries === undefined ? {} : { entries }) });
}
