import type { KeySourceConfig, NativeAeadMode, UnencryptedMode } from '../codec/index.js';
import type { SamplesSettings } from './samples-settings.js';
import type { StorageSettings } from './storage/storage-settings.js';

/** Log levels accepted by `--log-level` (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Key cache limits; each absent field keeps the library's default. Transit mode applies them to data keys: the TTL
 * bounds how long one data key seals new payloads, the max age how long an unwrapped one is served from memory.
 */
export interface KeyCacheConfig {
  /** How long "the newest version" is trusted, so a rotation propagates (Transit: a data key's encrypt lifetime). */
  readonly latestTtlMs?: number;
  /** How long an exact version stays in memory, so destruction takes effect (Transit: an unwrapped data key). */
  readonly versionMaxAgeMs?: number;
  /** How much longer cached keys are served while the key source fails; 0 turns it off. */
  readonly staleIfErrorMs?: number;
  /** How long "no such version" or a refused wrapped key is remembered; 0 turns it off. */
  readonly negativeTtlMs?: number;
}

/** What the codecs do with what they are given. */
export interface CodecPolicyConfig {
  /** Unencrypted payloads on decode: let through (counted) or refuse with ERR_UNENCRYPTED_PAYLOAD. */
  readonly unencrypted: UnencryptedMode;
  /** Distinct key versions missing from memory that one request may look up. */
  readonly maxKeyLookupsPerRequest: number;
}

/** How callers are authenticated. */
export type AuthConfig =
  | { readonly mode: 'none' }
  | { readonly mode: 'static'; readonly tokensFile: string; readonly wildcardScopes?: readonly string[] }
  | {
      readonly mode: 'jwt';
      /** Scopes granting every namespace besides `temporal-system` (opt-in; see `permissions.ts`). */
      readonly wildcardScopes?: readonly string[];
      readonly jwksUrl?: string;
      readonly secret?: string;
      readonly issuer?: string;
      readonly audience?: readonly string[];
      /** Tokens whose `iat` is older are refused (and `iat` becomes required). */
      readonly maxTokenAgeSeconds?: number;
      readonly permissionsClaim: string;
    };

/** Cross-origin rules for the Web UI. */
export interface CorsConfig {
  /** Exact origins (`scheme://host[:port]`), or `*` (only without credentials). */
  readonly origins: readonly string[];
  readonly credentials: boolean;
  /** How long browsers may cache a preflight answer. */
  readonly maxAgeSeconds: number;
}

/** The validated, frozen configuration of the codec server. Built once by `loadConfig`. */
export interface ServerConfig {
  /** True when `--help` was given: print usage and exit. */
  readonly help: boolean;
  readonly listen: {
    readonly host: string;
    readonly port: number;
    /** Extra `Host` values accepted besides loopback names (`--allowed-hosts`); see `request-guards.ts`. */
    readonly allowedHosts: readonly string[];
    readonly tls?: { readonly certPath: string; readonly keyPath: string };
  };
  readonly keySource: KeySourceConfig;
  readonly keyCache: KeyCacheConfig;
  readonly codec: CodecPolicyConfig;
  readonly namespaces: {
    /** Used when a request names no namespace. */
    readonly default: string;
    /** When set, only these namespaces are served. */
    readonly allowed?: readonly string[];
  };
  readonly cors: CorsConfig;
  readonly auth: AuthConfig;
  readonly limits: {
    readonly bodyBytes: number;
    readonly maxPayloads: number;
    readonly requestTimeoutMs: number;
  };
  /** External payload storage per namespace (`/download`, references in `/decode`). */
  readonly storage: StorageSettings;
  /** The decode-only samples profile; absent, the samples' payloads are refused with ERR_UNSUPPORTED_FORMAT. */
  readonly samples?: SamplesSettings;
  /** Server processes sharing the port (node:cluster); 1 serves from this process. */
  readonly workers: number;
  readonly shutdownGraceMs: number;
  /** Which AES-GCM engine the codecs use (see `loadAeadEngine`). */
  readonly nativeAead: NativeAeadMode;
  readonly logLevel: LogLevel;
}
