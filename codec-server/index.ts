export { createApp, type AppDeps } from './app.js';
export type { CodecServerApp } from './codec-server-app.js';
export { loadConfig } from './config.js';
export { OPTIONS, usage, type OptionName, type OptionSpec } from './config-options.js';
export {
  LOG_LEVELS,
  type AuthConfig,
  type CorsConfig,
  type KeySourceConfig,
  type LogLevel,
  type ServerConfig,
} from './config-types.js';
export { CodecRegistry, type CodecRegistryOptions } from './codec-registry.js';
export { createKeyProvider, type KeySource, type KeySourceDeps } from './key-source.js';
export { createLogger, type LoggerOptions, type ServerLogger } from './logger.js';
export { createMetrics, type MetricsOptions, type RouteLabel, type ServerMetrics } from './metrics.js';
export { createNoAuthenticator, type Authenticator, type Credentials, type Identity } from './auth.js';
export { createStaticAuthenticator, parseStaticTokens, type StaticTokenEntry } from './static-tokens.js';
export { createJwtAuthenticator, type JwtAuthConfig, type JwtAuthDeps } from './jwt-auth.js';
export { ROLES, isAllowed, parsePermissions, type CodecAction, type Grant, type Role } from './permissions.js';
export { HttpError, SERVER_ERROR_CODES, type ServerErrorCode } from './http-error.js';
export { statusOfCodecError } from './error-handler.js';
export {
  parsePayloadsBody,
  payloadToJson,
  STORAGE_REFERENCE_MESSAGE_TYPE,
  type ParsedPayload,
} from './payload-json.js';
export { createServerDeps, type ServerDeps, type ServerDepsOptions } from './server-deps.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
