import { TokenSession } from './token-session.js';
import type { VaultAuth, VaultAuthObserver, VaultAuthTransport } from './vault-auth.js';

/** Options of {@link tokenAuth}. */
export interface TokenAuthOptions {
  readonly transport: VaultAuthTransport;
  /** The token, e.g. from `VAULT_TOKEN`. */
  readonly token: string;
  readonly renewAtFraction?: number;
  readonly observer?: VaultAuthObserver;
}

/**
 * A static token, renewed in the background while it is renewable. It cannot be replaced: once it reaches its max
 * TTL (or is not renewable), `expiring` is reported and requests fail with ERR_KEY_SOURCE_DENIED when it lapses. For
 * processes that run longer than a token's max TTL, use AppRole or Kubernetes auth.
 */
export function tokenAuth(options: TokenAuthOptions): VaultAuth {
  return new TokenSession({
    method: 'token',
    transport: options.transport,
    initialToken: options.token,
    ...(options.renewAtFraction === undefined ? {} : { renewAtFraction: options.renewAtFraction }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
}
