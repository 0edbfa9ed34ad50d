export { createApp, type AppDeps } from './app.js';
export type { CodecServerApp } from './codec-server-app.js';
export { createServerHandler } from './server-handler.js';
export { loadConfig } from './config.js';
export { SERVER_SETTINGS, SERVER_ONLY_SETTINGS, type ServerSettingName } from './config-settings.js';
export { configTableMarkdown, configTableRows, usage } from './config-docs.js';
export { checkServerSettings, type ServerRuleInput } from './config-rules.js';
export {
  LOG_LEVELS,
  type AuthConfig,
  type CorsConfig,
  type KeyCacheConfig,
  type LogLevel,
  type ServerConfig,
} from './config-types.js';
export { createLogger, type LoggerOptions, type ServerLogger } from './logger.js';
export { createMetrics, type MetricsOptions, type RouteLabel, type ServerMetrics } from './metrics.js';
export { createNoAuthenticator, type Authenticator, type Credentials } from './auth.js';
export type { Identity } from './identity.js';
export { createStaticAuthenticator, parseStaticTokens, type StaticTokenEntry } from './static-tokens.js';
export { createJwtAuthenticator, type JwtAuthConfig, type JwtAuthDeps } from './jwt-auth.js';
export {
  EVERY_NAMESPACE,
  ROLES,
  SYSTEM_SCOPE,
  isAllowed,
  parsePermissions,
  type CodecAction,
  type Grant,
  type PermissionOptions,
  type Role,
} from './permissions.js';
export { HttpError, SERVER_ERROR_CODES, type ServerErrorCode } from './http-error.js';
export { statusOfCodecError, statusOfStorageError } from './error-handler.js';
export { parsePayloadsBody, payloadToJson, type JsonObject, type ParsedPayload } from './payload-json.js';
export { createServerDeps, type ServerDeps, type ServerDepsOptions } from './server-deps.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export { StorageRegistry, type StorageConnection, type StorageRegistryOptions } from './storage/storage-registry.js';
export { createStorageRegistry } from './storage/create-storage-registry.js';
export { parseStorageConfig, type StorageConfigEntries } from './storage/storage-config-file.js';
export { S3NamespaceStorage, type NamespaceStorage } from './storage/namespace-storage.js';
export { retrieveReferences, type RetrieveOptions, type RetrieveOutcome } from './storage/retrieve-references.js';
export { resolveForDecode, retrieveForDownload, type StorageStepDeps } from './storage/storage-step.js';
export type { NamespaceStorageSettings, StorageLimits, StorageSettings } from './storage/storage-settings.js';
