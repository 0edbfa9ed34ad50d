import { CodecError, ERROR_CODES, isCodecError } from '../../errors.js';
import { SingleFlight } from '../../cache/single-flight.js';
import type {
  VaultAuth,
  VaultAuthMethod,
  VaultAuthObserver,
  VaultAuthResponse,
  VaultAuthTransport,
  VaultLogin,
} from './vault-auth.js';

/** Options of {@link TokenSession}. */
export interface TokenSessionOptions {
  readonly method: VaultAuthMethod;
  readonly transport: VaultAuthTransport;
  /** Logs in and returns a new token; absent for a static token, which can only be renewed. */
  readonly login?: () => Promise<VaultLogin>;
  /** The token to start with (static tokens). */
  readonly initialToken?: string;
  /** Renew (or log in again) when this fraction of the token's TTL has passed. Default 2/3. */
  readonly renewAtFraction?: number;
  readonly observer?: VaultAuthObserver;
}

interface LookupResponse {
  data?: { ttl?: unknown; renewable?: unknown; creation_ttl?: unknown } | null;
}

/** Shortest delay before a retried renewal or login, so a failing Vault is not hammered. */
const MIN_RETRY_MS = 250;
/** Longest delay between login retries once the token has expired. */
const MAX_RETRY_MS = 30_000;

/**
 * Keeps a Vault token alive for a long-running process. It learns the token's TTL (from the login, or from
 * `lookup-self` for a static token), renews it with `renew-self` once `renewAtFraction` of the TTL has passed, and
 * logs in again when the token is not renewable or renewal was capped by its max TTL. Timers are `unref()`ed, so
 * they never keep a process alive. A static token that can no longer be renewed is reported via `expiring`.
 */
export class TokenSession implements VaultAuth {
  readonly method: VaultAuthMethod;
  readonly #transport: VaultAuthTransport;
  readonly #login: (() => Promise<VaultLogin>) | undefined;
  readonly #fraction: number;
  readonly #observer: VaultAuthObserver;
  readonly #logins = new SingleFlight<'login', string>();
  readonly #checks = new SingleFlight<'forbidden', boolean>();
  #token: string | undefined;
  /** When the token expires (ms since epoch); undefined while unknown or for tokens that never expire. */
  #expiresAt: number | undefined;
  /** The TTL asked for at each renewal: the token's original TTL. */
  #increment = 0;
  #started: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TokenSessionOptions) {
    this.method = options.method;
    this.#transport = options.transport;
    this.#login = options.login;
    this.#token = options.initialToken;
    this.#fraction = options.renewAtFraction ?? 2 / 3;
    this.#observer = options.observer ?? {};
    if (!(this.#fraction > 0 && this.#fraction < 1)) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'renewAtFraction must be between 0 and 1');
    }
    if (this.#login === undefined && (this.#token === undefined || this.#token.length === 0)) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'A Vault token is required (set VAULT_TOKEN)');
    }
  }

  async token(): Promise<string> {
    this.#started ??= this.#start();
    try {
      await this.#started;
    } catch (err) {
      // A failed first login is retried by the next caller rather than remembered for ever.
      this.#started = undefined;
      throw err;
    }
    if (this.#login !== undefined && this.#expiresAt !== undefined && Date.now() >= this.#expiresAt) {
      return this.#relogin();
    }
    return this.#token ?? '';
  }

  onForbidden(): Promise<boolean> {
    const login = this.#login;
    if (login === undefined || this.#closed) return Promise.resolve(false);
    return this.#checks.run('forbidden', async () => {
      // A 403 with a token Vault still knows is a policy denial: a new login would be denied the same way.
      try {
        await this.#transport.request('GET', '/auth/token/lookup-self', undefined, { token: this.#token ?? '' });
        return false;
      } catch (err) {
        if (!isCodecError(err, ERROR_CODES.keySourceDenied)) return false;
      }
      await this.#relogin();
      return true;
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #start(): Promise<void> {
    if (this.#login !== undefined) {
      await this.#relogin();
      return;
    }
    await this.#lookup(MIN_RETRY_MS * 4);
  }

  /** Learns a static token's TTL; retried with backoff while Vault is unreachable, so renewal is not lost. */
  async #lookup(retryMs: number): Promise<void> {
    try {
      const response = await this.#transport.request<LookupResponse>('GET', '/auth/token/lookup-self', undefined, {
        token: this.#token ?? '',
      });
      const ttl = seconds(response?.data?.ttl);
      this.#increment = seconds(response?.data?.creation_ttl) || ttl;
      this.#schedule(ttl, response?.data?.renewable === true, false);
    } catch (err) {
      // The token may still work (e.g. a policy without lookup-self); requests will tell.
      this.#observer.failed?.('lookup', err);
      if (isCodecError(err) && err.retryable) {
        this.#later(retryMs, () => this.#lookup(Math.min(MAX_RETRY_MS, retryMs * 2)));
      }
    }
  }

  #relogin(): Promise<string> {
    const login = this.#login;
    if (login === undefined) return Promise.resolve(this.#token ?? '');
    return this.#logins.run('login', async () => {
      let result: VaultLogin;
      try {
        result = await login();
      } catch (err) {
        this.#observer.failed?.('login', err);
        throw err;
      }
      this.#token = result.token;
      this.#increment = result.ttlSeconds;
      this.#schedule(result.ttlSeconds, result.renewable, false);
      this.#observer.loggedIn?.(this.method, result.ttlSeconds);
      return result.token;
    });
  }

  #schedule(ttlSeconds: number, renewable: boolean, capped: boolean): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    if (ttlSeconds <= 0) {
      // Root and other non-expiring tokens need no care.
      this.#expiresAt = undefined;
      return;
    }
    const ttlMs = ttlSeconds * 1000;
    this.#expiresAt = Date.now() + ttlMs;
    if (renewable && !capped) {
      this.#later(ttlMs * this.#fraction, () => this.#renew());
    } else if (this.#login !== undefined) {
      this.#later(ttlMs * this.#fraction, () => this.#backgroundLogin());
    } else {
      this.#observer.expiring?.(new Date(this.#expiresAt));
    }
  }

  async #renew(): Promise<void> {
    try {
      const response = await this.#transport.request<VaultAuthResponse>(
        'POST',
        '/auth/token/renew-self',
        { increment: this.#increment },
        { token: this.#token ?? '' },
      );
      const ttl = seconds(response?.auth?.lease_duration);
      this.#observer.renewed?.(ttl);
      if (ttl === 0) {
        // Renewed to nothing: the max TTL is reached. (A zero TTL means "never expires" only from lookup-self.)
        if (this.#login !== undefined) await this.#backgroundLogin();
        else this.#observer.expiring?.(new Date());
        return;
      }
      // Vault caps the TTL at the token's max TTL: from then on only a new login helps.
      this.#schedule(ttl, response?.auth?.renewable === true, ttl < this.#increment);
    } catch (err) {
      this.#observer.failed?.('renew', err);
      const remaining = (this.#expiresAt ?? 0) - Date.now();
      if (isCodecError(err) && err.retryable && remaining > 2 * MIN_RETRY_MS) {
        this.#later(remaining / 2, () => this.#renew());
      } else if (this.#login !== undefined) {
        await this.#backgroundLogin();
      }
    }
  }

  async #backgroundLogin(): Promise<void> {
    try {
      await this.#relogin();
    } catch {
      // Already reported; keep trying, faster while the old token is still valid.
      const remaining = (this.#expiresAt ?? 0) - Date.now();
      this.#later(Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, remaining / 2)), () => this.#backgroundLogin());
    }
  }

  #later(delayMs: number, task: () => Promise<void>): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => void task(), Math.max(0, delayMs));
    this.#timer.unref();
  }
}

/** A positive number of seconds from a Vault response field, else 0. */
export function seconds(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
