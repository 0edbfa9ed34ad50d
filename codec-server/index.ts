export { createApp, type AppDeps } from './app.js';
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
export { ROLES, isAllowed, parsePermissions, type CodecAction, type Grant, type Role } from './permissions.js';
export { HttpError, SERVER_ERROR_CODES, type ServerErrorCode } from './http-error.js';
export { statusOfCodecError } from './error-handler.js';
export { parsePayloadsBody, payloadToJson, type ParsedPayload } from './payload-json.js';
export { createServerDeps, type ServerDeps, type ServerDepsOptions } from './server-deps.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
