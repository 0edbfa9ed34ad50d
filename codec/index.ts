export {
  EncryptionCodec,
  type EncryptionCodecOptions,
  type DecodeResult,
  type PayloadResult,
} from './encryption-codec.js';
export { MultiNamespaceCodec, type MultiNamespaceCodecOptions } from './multi-namespace-codec.js';
export {
  UNENCRYPTED_MODES,
  type UnencryptedMode,
  type UnencryptedObserver,
  type UnencryptedOptions,
} from './unencrypted-policy.js';
export { CodecError, ERROR_CODES, isCodecError, type CodecErrorCode, type CodecErrorContext } from './errors.js';
export {
  ENCRYPTED_ENCODING,
  FORMAT_IDS,
  METADATA_KEYS,
  MAX_PAYLOADS_PER_DERIVED_KEY,
  STORAGE_REFERENCE,
  V1_LAYOUT,
  type FormatId,
  type KeyReference,
} from './types.js';
export {
  isEncrypted,
  isStorageReference,
  readEncryptedHeader,
  STORAGE_REFERENCE_MESSAGE_TYPE,
  type EncryptedHeader,
} from './wire-format.js';
export type { AeadEngine, AeadKey } from './aead/engine.js';
export {
  aeadBackend,
  defaultAeadEngine,
  loadAeadEngine,
  NATIVE_AEAD_MODES,
  type AeadBackend,
  type NativeAeadMode,
} from './aead/select.js';
export type {
  KeyMaterial,
  KeyProvider,
  KeyProviderObserver,
  KeyScope,
  ProviderCommonOptions,
} from './keys/key-provider.js';
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
export type { TokenSessionOptions } from './keys/auth/token-session.js';
export type { TokenAuthOptions } from './keys/auth/token-auth.js';
export type { AppRoleAuthOptions } from './keys/auth/approle-auth.js';
export { KUBERNETES_SERVICE_ACCOUNT_TOKEN, type KubernetesAuthOptions } from './keys/auth/kubernetes-auth.js';
export { readSecret, type ReadTextFile, type SecretSource } from './keys/auth/secret-source.js';
export {
  createAuthenticatedVaultClient,
  type AuthenticatedVaultClient,
  type VaultAuthConfig,
  type VaultAuthDeps,
} from './keys/auth/create-vault-auth.js';
export {
  KEY_SOURCE_DEFAULTS,
  KEY_SOURCE_KINDS,
  VAULT_AUTH_METHODS,
  type KeySourceConfig,
  type KeySourceKind,
  type VaultConnectionConfig,
} from './keys/key-source.js';
export { KEY_SOURCE_SETTINGS, type KeySourceSettingName } from './keys/key-source-settings.js';
export { checkKeySource, keySourceKind, type KeySourceValues } from './keys/key-source-rules.js';
export {
  keySourceFromEnv,
  keySourceSettingLabel,
  readKeySourceSettings,
  type KeySourceReading,
} from './keys/read-key-source.js';
export {
  connectKeySource,
  openKeySource,
  type ConnectKeySourceDeps,
  type KeySourceConnection,
  type OpenedKeySource,
  type OpenKeySourceDeps,
} from './keys/open-key-source.js';
export {
  defineSetting,
  settingLabel,
  settingSchemas,
  settingValues,
  type SettingProblem,
  type SettingSpec,
  type SettingTable,
  type SettingValues,
} from './config/setting-spec.js';
export * as settingFields from './config/setting-fields.js';
export { deepFreeze } from './config/deep-freeze.js';
export {
  isSamplesPayload,
  openSamplesData,
  SAMPLES_LAYOUT,
  SAMPLES_SERIALIZATIONS,
  type SamplesSerialization,
} from './samples/samples-format.js';
export {
  parseSamplesKey,
  SAMPLES_VAULT_KEY_FIELD,
  samplesKeysFromFile,
  samplesKeysFromVault,
  type SamplesKeySource,
  type SamplesVaultLocation,
} from './samples/samples-keys.js';
export { type SamplesProfileOptions } from './samples/samples-profile.js';
