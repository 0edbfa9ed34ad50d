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
export {
  aeadBackend,
  configureNativeAead,
  NATIVE_AEAD_MODES,
  type AeadBackend,
  type NativeAeadMode,
} from './native-aead.js';
export type { KeyMaterial, KeyProvider, KeyProviderObserver, ProviderCommonOptions } from './keys/key-provider.js';
export type { KeyVersionInfo, KeyVersionState, LatestKey, VersionedKeyStore } from './keys/versioned-key-store.js';
export { CachingKeyProvider, type CachingOptions } from './keys/caching-key-provider.js';
export { LocalKeyring, type LocalKeyringOptions } from './keys/local-keyring.js';
export {
  VaultClient,
  type VaultClientOptions,
  type VaultMethod,
  type VaultRequestOptions,
} from './keys/vault-client.js';
export { VaultKvStore, type VaultKvOptions } from './keys/vault-kv.js';
export { assertNamespace, defaultKeyIdFor } from './keys/key-id.js';
export { MemoryKeyStore, type MemoryKeyStoreOptions } from './keys/memory-key-store.js';
export { VaultTransitKeyProvider, type VaultTransitOptions } from './keys/vault-transit.js';
export {
  VaultTransitClient,
  wrappedKeyVersion,
  type TransitDataKey,
  type TransitKeyState,
  type VaultRequester,
  type VaultTransitLocation,
} from './keys/vault-transit-client.js';
export { VaultTransitKeys, MIN_AUTO_ROTATE_PERIOD_MS, type TransitKeyDescription } from './keys/vault-transit-keys.js';
export {
  evaluateRotation,
  formatDuration,
  parseDuration,
  type RotationDecision,
  type RotationPolicy,
} from './keys/rotation-policy.js';
export type {
  VaultAuth,
  VaultAuthMethod,
  VaultAuthObserver,
  VaultAuthTransport,
  VaultLogin,
} from './keys/auth/vault-auth.js';
export { TokenSession, type TokenSessionOptions } from './keys/auth/token-session.js';
export { tokenAuth, type TokenAuthOptions } from './keys/auth/token-auth.js';
export { appRoleAuth, type AppRoleAuthOptions } from './keys/auth/approle-auth.js';
export {
  kubernetesAuth,
  KUBERNETES_SERVICE_ACCOUNT_TOKEN,
  type KubernetesAuthOptions,
} from './keys/auth/kubernetes-auth.js';
export { readSecret, type ReadTextFile, type SecretSource } from './keys/auth/secret-source.js';
export {
  createAuthenticatedVaultClient,
  createVaultAuth,
  type AuthenticatedVaultClient,
  type VaultAuthConfig,
  type VaultAuthDeps,
} from './keys/auth/create-vault-auth.js';
