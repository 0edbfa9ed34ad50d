import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appRoleAuth } from '../../codec/keys/auth/approle-auth.js';
import { kubernetesAuth } from '../../codec/keys/auth/kubernetes-auth.js';
import { tokenAuth } from '../../codec/keys/auth/token-auth.js';
import {
  CodecError,
  ERROR_CODES,
  type VaultAuth,
  type VaultAuthTransport,
  type VaultMethod,
  type VaultRequestOptions,
} from '../../codec/index.js';

interface FakeToken {
  ttl: number;
  renewable: boolean;
  /** Absolute expiry of the max TTL (ms); Infinity when none. */
  maxExpiresAt: number;
  /** 0 = never expires */
  expiresAt: number;
  revoked?: boolean;
}

/** Vault's token endpoints and a login endpoint, in memory, on the (fake) clock. */
class FakeVault implements VaultAuthTransport {
  readonly tokens = new Map<string, FakeToken>();
  readonly calls: string[] = [];
  readonly logins: Array<{ path: string; body: Record<string, unknown> }> = [];
  /** TTL, max TTL and renewability of tokens handed out by logins. */
  loginToken = { ttl: 30, maxTtl: 0, renewable: true };
  refuseLogin = false;
  failRenewals = 0;
  #next = 0;

  issue(ttl: number, options: { maxTtl?: number; renewable?: boolean } = {}): string {
    const token = `t${++this.#next}`;
    const now = Date.now();
    this.tokens.set(token, {
      ttl,
      renewable: options.renewable ?? true,
      expiresAt: ttl === 0 ? 0 : now + ttl * 1000,
      maxExpiresAt: options.maxTtl ? now + options.maxTtl * 1000 : Infinity,
    });
    return token;
  }

  valid(token: string): boolean {
    const t = this.tokens.get(token);
    return t !== undefined && !t.revoked && (t.expiresAt === 0 || Date.now() < t.expiresAt);
  }

  async request<T>(method: VaultMethod, path: string, body?: object, options: VaultRequestOptions = {}): Promise<T> {
    await Promise.resolve();
    this.calls.push(`${method} ${path}`);
    const denied = () => new CodecError(ERROR_CODES.keySourceDenied, `Vault denied ${method} ${path} (HTTP 403)`);
    if (path.endsWith('/login')) {
      if (this.refuseLogin) {
        throw new CodecError(
          ERROR_CODES.invalidConfig,
          `Vault rejected POST ${path} (HTTP 400): invalid role or secret ID`,
        );
      }
      this.logins.push({ path, body: body as Record<string, unknown> });
      const { ttl, maxTtl, renewable } = this.loginToken;
      const token = this.issue(ttl, { maxTtl, renewable });
      return { auth: { client_token: token, lease_duration: ttl, renewable } } as T;
    }
    const token = options.token ?? '';
    if (!this.valid(token)) throw denied();
    const entry = this.tokens.get(token)!;
    const remaining = entry.expiresAt === 0 ? 0 : Math.ceil((entry.expiresAt - Date.now()) / 1000);
    if (path === '/auth/token/lookup-self') {
      return { data: { ttl: remaining, creation_ttl: entry.ttl, renewable: entry.renewable } } as T;
    }
    if (path === '/auth/token/renew-self') {
      if (this.failRenewals > 0) {
        this.failRenewals--;
        throw new CodecError(ERROR_CODES.keySourceUnavailable, 'Vault unreachable');
      }
      if (!entry.renewable) throw new CodecError(ERROR_CODES.invalidConfig, 'lease is not renewable');
      const increment = (body as { increment: number }).increment;
      const capped = Math.min(increment, Math.floor((entry.maxExpiresAt - Date.now()) / 1000));
      entry.expiresAt = Date.now() + capped * 1000;
      return { auth: { client_token: token, lease_duration: capped, renewable: true } } as T;
    }
    throw denied();
  }
}

const auths: VaultAuth[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  auths.splice(0).forEach((a) => a.close());
  vi.useRealTimers();
});
function track<T extends VaultAuth>(auth: T): T {
  auths.push(auth);
  return auth;
}

describe('static token auth', () => {
  it('renews a renewable token at 2/3 of its TTL, so it outlives its original TTL', async () => {
    const vault = new FakeVault();
    const token = vault.issue(30, { maxTtl: 3600 });
    const renewed: number[] = [];
    const auth = track(tokenAuth({ transport: vault, token, observer: { renewed: (ttl) => renewed.push(ttl) } }));
    expect(await auth.token()).toBe(token);
    await vi.advanceTimersByTimeAsync(19_000);
    expect(renewed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(renewed).toEqual([30]);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(renewed.length).toBe(16);
    expect(vault.valid(token)).toBe(true);
  });

  it('reports expiring once renewal is capped by the max TTL, and stops renewing', async () => {
    const vault = new FakeVault();
    const token = vault.issue(30, { maxTtl: 45 });
    const expiring: Date[] = [];
    const auth = track(tokenAuth({ transport: vault, token, observer: { expiring: (at) => expiring.push(at) } }));
    await auth.token();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(expiring).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports a non-renewable token as expiring and leaves a token without TTL alone', async () => {
    const vault = new FakeVault();
    const expiring: Date[] = [];
    await track(
      tokenAuth({
        transport: vault,
        token: vault.issue(30, { renewable: false }),
        observer: { expiring: (at) => expiring.push(at) },
      }),
    ).token();
    expect(expiring).toHaveLength(1);
    await track(tokenAuth({ transport: vault, token: vault.issue(0) })).token();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries a renewal that failed on an outage while the token is still valid', async () => {
    const vault = new FakeVault();
    const token = vault.issue(30, { maxTtl: 3600 });
    const failed: string[] = [];
    const auth = track(tokenAuth({ transport: vault, token, observer: { failed: (op) => failed.push(op) } }));
    await auth.token();
    vault.failRenewals = 1;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(failed).toEqual(['renew']);
    expect(vault.valid(token)).toBe(true);
  });

  it('keeps trying to learn the TTL when Vault is down at start, so renewal still happens', async () => {
    const vault = new FakeVault();
    const token = vault.issue(30, { maxTtl: 3600 });
    const down = vault.request.bind(vault);
    let outage = true;
    vault.request = <T>(...args: Parameters<FakeVault['request']>) =>
      outage ? Promise.reject(new CodecError(ERROR_CODES.keySourceUnavailable, 'down')) : down<T>(...args);
    const renewed: number[] = [];
    const auth = track(tokenAuth({ transport: vault, token, observer: { renewed: (ttl) => renewed.push(ttl) } }));
    expect(await auth.token()).toBe(token);
    outage = false;
    await vi.advanceTimersByTimeAsync(25_000);
    expect(renewed).toEqual([30]);
    expect(vault.valid(token)).toBe(true);
  });

  it('cannot log in again: a 403 is never retried', async () => {
    const vault = new FakeVault();
    const auth = track(tokenAuth({ transport: vault, token: vault.issue(30) }));
    expect(await auth.onForbidden()).toBe(false);
  });

  it('refuses to start without a token (ERR_INVALID_CONFIG)', () => {
    expect(() => tokenAuth({ transport: new FakeVault(), token: '' })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidConfig }),
    );
  });
});

describe('AppRole auth', () => {
  const files = (entries: Record<string, string>) => (path: string) =>
    entries[path] === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(entries[path]);

  it('logs in once for concurrent callers, with role_id and secret_id (values or files)', async () => {
    const vault = new FakeVault();
    const auth = track(
      appRoleAuth({
        transport: vault,
        roleId: { value: 'role-1' },
        secretId: { file: '/run/secret-id' },
        mount: 'approle-ci',
        readFile: files({ '/run/secret-id': 'secret-1\n' }),
      }),
    );
    const tokens = await Promise.all(Array.from({ length: 10 }, () => auth.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(vault.logins).toEqual([
      { path: '/auth/approle-ci/login', body: { role_id: 'role-1', secret_id: 'secret-1' } },
    ]);
  });

  it('logs in again before the token expires when the max TTL caps renewal', async () => {
    const vault = new FakeVault();
    vault.loginToken = { ttl: 30, maxTtl: 50, renewable: true };
    const loggedIn: number[] = [];
    const auth = track(
      appRoleAuth({
        transport: vault,
        roleId: { value: 'r' },
        secretId: { value: 's' },
        observer: { loggedIn: (_, ttl) => loggedIn.push(ttl) },
      }),
    );
    const first = await auth.token();
    // t=20 renew (capped at 30 -> 30 ok), t=40 renew capped at 10 s -> new login at t≈46.7, before expiry at t=50.
    await vi.advanceTimersByTimeAsync(49_000);
    expect(loggedIn).toEqual([30, 30]);
    const second = await auth.token();
    expect(second).not.toBe(first);
    expect(vault.valid(second)).toBe(true);
  });

  it('logs in at once when a renewal leaves no TTL at all', async () => {
    const vault = new FakeVault();
    vault.loginToken = { ttl: 30, maxTtl: 20.5, renewable: true };
    const auth = track(appRoleAuth({ transport: vault, roleId: { value: 'r' } }));
    const first = await auth.token();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(vault.logins).toHaveLength(2);
    expect(await auth.token()).not.toBe(first);
  });

  it('logs in again at 2/3 of the TTL when its tokens are not renewable', async () => {
    const vault = new FakeVault();
    vault.loginToken = { ttl: 30, maxTtl: 0, renewable: false };
    const auth = track(appRoleAuth({ transport: vault, roleId: { value: 'r' } }));
    await auth.token();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(vault.logins).toHaveLength(2);
    expect(vault.calls.filter((c) => c.includes('renew-self'))).toEqual([]);
  });

  it('on a 403 logs in again only when the token is no longer valid', async () => {
    const vault = new FakeVault();
    const auth = track(appRoleAuth({ transport: vault, roleId: { value: 'r' } }));
    const first = await auth.token();
    expect(await auth.onForbidden()).toBe(false);
    expect(vault.logins).toHaveLength(1);
    vault.tokens.get(first)!.revoked = true;
    expect(await auth.onForbidden()).toBe(true);
    expect(await auth.token()).not.toBe(first);
    expect(vault.logins).toHaveLength(2);
  });

  it('maps refused credentials to ERR_KEY_SOURCE_DENIED and retries the login on the next call', async () => {
    const vault = new FakeVault();
    vault.refuseLogin = true;
    const auth = track(appRoleAuth({ transport: vault, roleId: { value: 'r' }, secretId: { value: 'wrong' } }));
    await expect(auth.token()).rejects.toMatchObject({ code: ERROR_CODES.keySourceDenied });
    vault.refuseLogin = false;
    expect(vault.valid(await auth.token())).toBe(true);
  });
});

describe('Kubernetes auth (fake transport: no cluster here)', () => {
  it('posts the role and the service-account JWT, re-reading the file at each login', async () => {
    const vault = new FakeVault();
    vault.loginToken = { ttl: 30, maxTtl: 0, renewable: false };
    let jwt = 'jwt-1';
    const auth = track(
      kubernetesAuth({
        transport: vault,
        role: 'temporal-worker',
        readFile: (path) => Promise.resolve(`${jwt}:${path}`),
      }),
    );
    await auth.token();
    jwt = 'jwt-2';
    await vi.advanceTimersByTimeAsync(20_000);
    expect(vault.logins).toEqual([
      {
        path: '/auth/kubernetes/login',
        body: { role: 'temporal-worker', jwt: 'jwt-1:/var/run/secrets/kubernetes.io/serviceaccount/token' },
      },
      {
        path: '/auth/kubernetes/login',
        body: { role: 'temporal-worker', jwt: 'jwt-2:/var/run/secrets/kubernetes.io/serviceaccount/token' },
      },
    ]);
  });

  it('fails with ERR_INVALID_CONFIG naming the file when the token file cannot be read', async () => {
    const auth = track(
      kubernetesAuth({
        transport: new FakeVault(),
        role: 'r',
        jwt: { file: '/nope' },
        readFile: () => Promise.reject(new Error('ENOENT')),
      }),
    );
    const error = await auth.token().catch((err: unknown) => err);
    expect(error).toMatchObject({ code: ERROR_CODES.invalidConfig });
    expect((error as Error).message).toContain('/nope');
  });

  it('stops its timers on close', async () => {
    const vault = new FakeVault();
    const auth = kubernetesAuth({ transport: vault, role: 'r', jwt: { value: 'jwt' } });
    await auth.token();
    expect(vi.getTimerCount()).toBe(1);
    auth.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
