import type { VaultAuthConfig } from './auth/create-vault-auth.js';

/**
 * The key source's defaults, the only place they are written: the settings' help and docs, the readers and the
 * Vault stores all take them from here.
 */
export const KEY_SOURCE_DEFAULTS = Object.freeze({
  /** Local keyring file, relative to the working directory. */
  keyringPath: '.codec-keyring.json',
  /** KV v2 mount. */
  kvMount: 'secret',
  /** Prefix of the per-namespace KV secrets: `<mount>/data/<prefix><namespace>`. */
  kvPathPrefix: 'temporal-codec/',
  /** Transit mount. */
  transitMount: 'transit',
  /** Prefix of the per-namespace Transit keys: `<mount>/keys/<prefix><namespace>`. */
  transitKeyPrefix: 'temporal-codec-',
} as const);

/** Where keys can come from. */
export const KEY_SOURCE_KINDS = ['local', 'vault-kv', 'vault-transit'] as const;

/** One of {@link KEY_SOURCE_KINDS}. */
export type KeySourceKind = (typeof KEY_SOURCE_KINDS)[number];

/** How a Vault key source logs in. */
export const VAULT_AUTH_METHODS = ['token', 'approle', 'kubernetes'] as const;

/** Where a Vault key source connects, and how it logs in. */
export interface VaultConnectionConfig {
  readonly addr: string;
  /** Token, AppRole or Kubernetes login; secrets are given as values or as files read at each login. */
  readonly auth: VaultAuthConfig;
  /** Vault Enterprise/OpenBao namespace, not a Temporal one. */
  readonly vaultNamespace?: string;
  /** Per-attempt request timeout; the Vault client's default when absent. */
  readonly timeoutMs?: number;
  /** Retries of a failed request (network errors, 5xx); the Vault client's default when absent. */
  readonly retries?: number;
}

/**
 * Where keys come from: the one key source configuration shared by the codec server, the key admin CLI and
 * workers. Read it with `readKeySourceSettings` or `keySourceFromEnv`; open it with `openKeySource`.
 */
export type KeySourceConfig =
  | {
      readonly kind: 'local';
      /** Keyring file; development only. */
      readonly keyringPath: string;
    }
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
