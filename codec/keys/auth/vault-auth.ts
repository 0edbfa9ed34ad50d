import type { VaultClient } from '../vault-client.js';

/** The auth methods this library logs in with. */
export type VaultAuthMethod = 'token' | 'approle' | 'kubernetes';

/**
 * Where a {@link VaultClient} gets its token. `token()` is called before every request, so it must be cheap once
 * logged in; renewal and re-login happen on timers in the background.
 *
 * ```ts
 * const client = new VaultClient({ endpoint, token: () => auth.token(), onForbidden: () => auth.onForbidden() });
 * ```
 */
export interface VaultAuth {
  readonly method: VaultAuthMethod;
  /** The current token; logs in first when there is none yet or it has expired (when the method can). */
  token(): Promise<string>;
  /**
   * Called by {@link VaultClient} when Vault answers 401/403. Resolves `true` when a new token was obtained (the token
   * had expired or been revoked), so the request is worth one retry; `false` for a genuine permission denial.
   */
  onForbidden(): Promise<boolean>;
  /** Stops renewal timers. Does not revoke the token. */
  close(): void;
}

/** What a login returned. */
export interface VaultLogin {
  readonly token: string;
  /** Seconds the token lives; 0 means it never expires. */
  readonly ttlSeconds: number;
  readonly renewable: boolean;
}

/** Observes token lifecycle events, for logs and tests. Every method is optional. */
export interface VaultAuthObserver {
  loggedIn?(method: VaultAuthMethod, ttlSeconds: number): void;
  renewed?(ttlSeconds: number): void;
  /** The token will expire and cannot be renewed or replaced (a static token past its max TTL). */
  expiring?(expiresAt: Date): void;
  /** A background renewal or login failed; it is retried while the token is still valid. */
  failed?(operation: 'lookup' | 'renew' | 'login', error: unknown): void;
}

/** The transport auth methods use: {@link VaultClient.request} with an explicit per-request token. */
export type VaultAuthTransport = Pick<VaultClient, 'request'>;

/** Login responses of every auth method share this shape. */
export interface VaultAuthResponse {
  auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } | null;
}
