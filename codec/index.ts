export { EncryptionCodec, type EncryptionCodecOptions, type DecodeResult } from './encryption-codec.js';
export { CodecError, ERROR_CODES, isCodecError, type CodecErrorCode, type CodecErrorContext } from './errors.js';
export {
  ENCRYPTED_ENCODING,
  FORMAT_IDS,
  METADATA_KEYS,
  MAX_PAYLOADS_PER_DERIVED_KEY,
  V1_LAYOUT,
  type FormatId,
  type KeyReference,
} from './types.js';
export { isEncrypted, readEncryptedHeader, type EncryptedHeader } from './wire-format.js';
export type { KeyMaterial, KeyProvider, KeyProviderObserver } from './keys/key-provider.js';
export type { KeyVersionInfo, KeyVersionState, LatestKey, VersionedKeyStore } from './keys/versioned-key-store.js';
export { CachingKeyProvider, type CachingOptions } from './keys/caching-key-provider.js';
export { LocalKeyring, type LocalKeyringOptions } from './keys/local-keyring.js';
export { VaultClient, type VaultClientOptions, type VaultMethod } from './keys/vault-client.js';
export { VaultKvStore, type VaultKvOptions } from './keys/vault-kv.js';
export { assertNamespace, defaultKeyIdFor } from './keys/key-id.js';
export { MemoryKeyStore } from './keys/memory-key-store.js';
