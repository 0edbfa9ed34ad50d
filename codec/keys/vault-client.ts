import createVaultClient from 'node-vault';
import { CodecError, ERROR_CODES } from '../errors.js';
import { silenceVaultDebug, silentDebug } from './vault-debug.js';

/** HTTP methods the Vault API uses here. */
export type VaultMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LIST';

/** Options of {@link VaultClient}. */
export interface VaultClientOptions {
  /** Vault address, e.g. `https://vault.example.com:8200`. */
  readonly endpoint: string;
  /** A token, or a function returning the current one (auth methods renew and replace it). */
  readonly token: string | (() => string | Promise<string>);
  /** Vault Enterprise / OpenBao namespace (`X-Vault-Namespace`); not a Temporal namespace. */
  readonly vaultNamespace?: string;
  /** Per-attempt timeout. Default 5 s. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt, on network errors, 429 and 5xx only. Default 3. */
  readonly retries?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 100 ms. */
  readonly backoffMs?: number;
  /** Called before a retry and when a token is rejected; lets auth methods log in again. */
  readonly onForbidden?: () => Promise<boolean>;
}

/** Per-request options of {@link VaultClient.request}. */
export interface VaultRequestOptions {
  /**
   * Sends this token instead of the client's own, and skips `onForbidden`: auth methods log in with an empty token
   * and renew the exact token they hold.
   */
  readonly token?: string;
}

interface NodeVaultError {
  response?: { statusCode?: number; body?: { errors?: unknown; data?: unknown } };
  code?: string;
}

/**
 * A small typed transport over `node-vault`: explicit paths, typed responses, retries with backoff on 5xx and
 * network errors (never on 4xx), and every failure mapped to a `CodecError`. `node-vault` itself has untyped
 * promises and no retry policy.
 *
 * Vault error messages are kept (they never contain secret values); request bodies never are.
 */
export class VaultClient {
  readonly #client: ReturnType<typeof createVaultClient>;
  readonly #token: VaultClientOptions['token'];
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #onForbidden: (() => Promise<boolean>) | undefined;
  readonly endpoint: string;

  constructor(options: VaultClientOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch (cause) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'Vault address must be a URL such as http://127.0.0.1:8200', {
        cause,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CodecError(ERROR_CODES.invalidConfig, 'Vault address must use http or https');
    }
    this.endpoint = url.origin;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#retries = options.retries ?? 3;
    this.#backoffMs = options.backoffMs ?? 100;
    this.#onForbidden = options.onForbidden;
    // Everything node-vault would read from the environment is passed explicitly. Its debug output would print request
    // bodies (keys, secret ids) under DEBUG=*: see vault-debug.ts.
    silenceVaultDebug();
    this.#client = createVaultClient({
      debug: silentDebug,
      endpoint: this.endpoint,
      apiVersion: 'v1',
      token: '',
      ...(options.vaultNamespace === undefined ? {} : { namespace: options.vaultNamespace }),
      requestOptions: { timeout: this.#timeoutMs },
    });
  }

  /**
   * Sends one request. Resolves with the JSON body. A 404 resolves too, with its body if it has one (KV v2 answers
   * 404 with metadata for deleted versions) or `undefined`: absent secrets are ordinary answers.
   * Rejects with ERR_KEY_SOURCE_UNAVAILABLE (retryable), ERR_KEY_SOURCE_DENIED (401/403), or ERR_INVALID_CONFIG
   * (other 4xx: a wrong mount or path).
   */
  async request<T>(
    method: VaultMethod,
    path: string,
    body?: object,
    options: VaultRequestOptions = {},
  ): Promise<T | undefined> {
    // An explicit token belongs to an auth flow, which handles rejection itself.
    let forbiddenRetried = options.token !== undefined;
    for (let attempt = 0; ; attempt++) {
      // Outside the try: a failed login is already a typed error (and already retried by the auth method).
      const token = options.token ?? (typeof this.#token === 'string' ? this.#token : await this.#token());
      silenceVaultDebug();
      try {
        const result: unknown = await this.#client.request({
          path,
          method,
          headers: { 'X-Vault-Token': token },
          ...(body === undefined ? {} : { json: body }),
          timeout: this.#timeoutMs,
        });
        return result as T;
      } catch (err) {
        const status = (err as NodeVaultError).response?.statusCode;
        if (status === 404) return ((err as NodeVaultError).response?.body ?? undefined) as T | undefined;
        if ((status === 403 || status === 401) && !forbiddenRetried && this.#onForbidden !== undefined) {
          forbiddenRetried = true;
          if (await this.#onForbidden()) continue;
        }
        const retryable = status === undefined || status === 429 || status >= 500;
        if (retryable && attempt < this.#retries) {
          await delay(this.#backoffMs * 2 ** attempt * (0.5 + Math.random() / 2));
          continue;
        }
        throw mapError(err, status, method, path);
      }
    }
  }
}

/**
 * The JSON body of the answer a {@link VaultClient.request} rejected for, when Vault sent one: Transit batch calls
 * answer 400 with each item's outcome inside.
 */
export function vaultErrorBody(err: unknown): unknown {
  const cause = err instanceof CodecError ? err.cause : undefined;
  return (cause as NodeVaultError | undefined)?.response?.body;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function vaultMessages(err: unknown): string {
  const errors = (err as NodeVaultError).response?.body?.errors;
  return Array.isArray(errors) ? errors.filter((e) => typeof e === 'string').join('; ') : '';
}

function mapError(err: unknown, status: number | undefined, method: string, path: string): CodecError {
  const where = `${method} ${path.split('?')[0]}`;
  if (status === undefined) {
    const code = (err as NodeVaultError).code ?? 'network error';
    return new CodecError(ERROR_CODES.keySourceUnavailable, `Vault unreachable (${code}) on ${where}`, { cause: err });
  }
  const detail = vaultMessages(err);
  const suffix = detail.length > 0 ? `: ${detail}` : '';
  if (status === 401 || status === 403) {
    return new CodecError(
      ERROR_CODES.keySourceDenied,
      `Vault denied ${where} (HTTP ${status}); check the token and its policy${suffix}`,
      {
        cause: err,
      },
    );
  }
  if (status === 429 || status >= 500) {
    return new CodecError(ERROR_CODES.keySourceUnavailable, `Vault failed ${where} (HTTP ${status})${suffix}`, {
      cause: err,
    });
  }
  return new CodecError(ERROR_CODES.invalidConfig, `Vault rejected ${where} (HTTP ${status})${suffix}`, { cause: err });
}
