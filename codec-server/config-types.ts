/** Log levels accepted by `--log-level` (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where keys come from. */
export type KeySourceConfig =
  | { readonly kind: 'local'; readonly keyringPath: string }
  | {
      readonly kind: 'vault-kv';
      readonly addr: string;
      readonly token: string;
      /** Vault Enterprise/OpenBao namespace, not a Temporal one. */
      readonly vaultNamespace?: string;
      readonly mount: string;
      readonly pathPrefix: string;
    };

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
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
}
