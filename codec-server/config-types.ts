import type { NativeAeadMode, VaultAuthConfig } from '../codec/index.js';
import type { StorageSettings } from './storage/storage-settings.js';

/** Log levels accepted by `--log-level` (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where a Vault key source connects, and how it logs in. */
export interface VaultConnectionConfig {
  readonly addr: string;
  /** Token, AppRole or Kubernetes login; secrets are given as values or as files read at each login. */
  readonly auth: VaultAuthConfig;
  /** Vault Enterprise/OpenBao namespace, not a Temporal one. */
  readonly vaultNamespace?: string;
}

/** Where keys come from. */
export type KeySourceConfig =
  | { readonly kind: 'local'; readonly keyringPath: string }
  | (VaultConnectionConfig & {
      readonly kind: 'vault-kv';
      /** KV v2 mount; keys live at `<mount>/data/<pathPrefix><namespace>`. */
      readonly mount: string;
      readonly pathPrefix: string;
    })
  | (VaultConnectionConfig & {
      readonly kind: 'vault-transit';
      /** Transit mount; each namespace's key is `<mount>/keys/<keyPrefix><namespace>`. */
      readonly mount: string;
      readonly keyPrefix: string;
    });

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
}

/** How callers are authenticated. */
export type AuthConfig =
  | { readonly mode: 'none' }
  | { readonly mode: 'static'; readonly tokensFile: string }
  | {
      readonly mode: 'jwt';
      readonly jwksUrl?: string;
      readonly secret?: string;
      readonly issuer?: string;
      readonly audience?: readonly string[];
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
    readonly tls?: { readonly certPath: string; readonly keyPath: string };
  };
  readonly keySource: KeySourceConfig;
  readonly keyCache: KeyCacheConfig;
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
  /** Server processes sharing the port (node:cluster); 1 serves from this process. */
  readonly workers: number;
  readonly shutdownGraceMs: number;
  /** Which AES-GCM implementation the codecs use (see `configureNativeAead`). */
  readonly nativeAead: NativeAeadMode;
  readonly logLevel: LogLevel;
}
