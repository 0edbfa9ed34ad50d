import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { CodecError, ERROR_CODES, MemoryKeyStore } from '../../codec/index.js';
import {
  createJwtAuthenticator,
  createStaticAuthenticator,
  EVERY_NAMESPACE,
  isAllowed,
  loadConfig,
  parsePermissions,
  type JwtAuthConfig,
} from '../../codec-server/index.js';
import { createHarness, jsonPayloadJson, type Harness } from '../../harness/codec-server-harness.js';

// Scopes read exactly as the Temporal server's default JWT claim mapper reads them
// (common/authorization/default_jwt_claim_mapper.go): each entry is split on its FIRST ':', the part before is the
// namespace, only `temporal-system` stands for every namespace, the role is read, write, worker or admin in any case.
// Anything wider is opt-in (--auth-wildcard-scopes).

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const key = new TextEncoder().encode(SECRET);
const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((made) => made.close()));
});

function jwtHarness(extra: string[] = []): Harness {
  const argv = ['--auth', 'jwt', '--jwt-secret', SECRET, '--jwt-audience', 'codec', ...extra];
  const config = loadConfig({}, argv);
  const store = new MemoryKeyStore();
  store.rotate('payments');
  store.rotate('default');
  const made = createHarness({ argv, store, authenticator: createJwtAuthenticator(config.auth as JwtAuthConfig) });
  harnesses.push(made);
  return made;
}

function token(permissions: unknown): Promise<string> {
  return new SignJWT({ sub: 'caller', permissions })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setAudience('codec')
    .setExpirationTime('5m')
    .sign(key);
}

async function status(app: Harness['app'], action: 'encode' | 'decode', namespace: string, permissions: unknown) {
  const res = await request(app)
    .post(`/${action}`)
    .set('X-Namespace', namespace)
    .set('Authorization', `Bearer ${await token(permissions)}`)
    .send({ payloads: [jsonPayloadJson('x')] });
  return res.status;
}

describe('permissions: Temporal claim mapper semantics', () => {
  it('treats only temporal-system as every namespace: system:read and *:read do not decode payments', () => {
    expect(isAllowed(parsePermissions(['temporal-system:read']), 'payments', 'decode')).toBe(true);
    expect(isAllowed(parsePermissions(['system:read']), 'payments', 'decode')).toBe(false);
    expect(isAllowed(parsePermissions(['*:read']), 'payments', 'decode')).toBe(false);
    expect(isAllowed(parsePermissions(['*:admin']), 'payments', 'encode')).toBe(false);
  });

  it('reads `system` and `*` as the names of ordinary namespaces, as Temporal does', () => {
    expect(isAllowed(parsePermissions(['system:read']), 'system', 'decode')).toBe(true);
    expect(isAllowed(parsePermissions(['*:write']), '*', 'encode')).toBe(true);
  });

  it('splits an entry on its first colon: "a:b:read" is role "b:read" on namespace "a", which is no role', () => {
    expect(parsePermissions(['a:b:read'])).toEqual([]);
    expect(isAllowed(parsePermissions(['a:b:read']), 'a:b', 'decode')).toBe(false);
    expect(isAllowed(parsePermissions(['a:b:read']), 'a', 'decode')).toBe(false);
  });

  it('reads roles in any case and ignores unknown roles and malformed entries', () => {
    expect(parsePermissions(['payments:READ', 'payments:Worker'])).toEqual([
      { namespace: 'payments', role: 'read' },
      { namespace: 'payments', role: 'worker' },
    ]);
    expect(parsePermissions(['payments', 'payments:owner', 42, null, 'payments:'])).toEqual([]);
  });

  it('widens only through explicitly listed wildcard scopes', () => {
    const wide = { wildcardScopes: ['*', 'system'] };
    expect(isAllowed(parsePermissions(['system:read'], wide), 'payments', 'decode')).toBe(true);
    expect(isAllowed(parsePermissions(['*:write'], wide), 'payments', 'encode')).toBe(true);
    expect(isAllowed(parsePermissions(['all:write'], wide), 'payments', 'encode')).toBe(false);
  });
});

describe('codec server: scopes over HTTP', () => {
  const h = jwtHarness();

  it('answers 403 to a system:read token decoding namespace payments, 200 to temporal-system:read', async () => {
    expect(await status(h.app, 'decode', 'payments', ['system:read'])).toBe(403);
    expect(await status(h.app, 'decode', 'payments', ['*:read'])).toBe(403);
    expect(await status(h.app, 'encode', 'payments', ['*:admin'])).toBe(403);
    expect(await status(h.app, 'decode', 'payments', ['temporal-system:read'])).toBe(200);
    expect(await status(h.app, 'encode', 'payments', ['temporal-system:write'])).toBe(200);
    expect(await status(h.app, 'encode', 'payments', ['temporal-system:read'])).toBe(403);
  });

  it('with --auth-wildcard-scopes "*,system" the listed scopes cover every namespace (opt-in)', async () => {
    const wide = jwtHarness(['--auth-wildcard-scopes', '*,system']);
    expect(wide.config.auth).toMatchObject({ wildcardScopes: ['*', 'system'] });
    expect(await status(wide.app, 'decode', 'payments', ['system:read'])).toBe(200);
    expect(await status(wide.app, 'encode', 'payments', ['*:write'])).toBe(200);
  });

  it('applies the same rules to static tokens', async () => {
    const tokens = {
      'system-reader-token-0123456789': { subject: 'sys', permissions: ['system:read'] },
      'cluster-reader-token-0123456789': { subject: 'cluster', permissions: ['temporal-system:read'] },
    };
    const argv = ['--auth', 'static', '--auth-tokens-file', 'unused.json'];
    const store = new MemoryKeyStore();
    store.rotate('payments');
    const made = createHarness({ argv, store, authenticator: createStaticAuthenticator(tokens) });
    harnesses.push(made);
    const call = (bearer: string) =>
      request(made.app)
        .post('/decode')
        .set('X-Namespace', 'payments')
        .set('Authorization', `Bearer ${bearer}`)
        .send({ payloads: [] });
    expect((await call('system-reader-token-0123456789')).status).toBe(403);
    expect((await call('cluster-reader-token-0123456789')).status).toBe(200);
    const wide = createStaticAuthenticator(tokens, { wildcardScopes: ['system'] });
    expect((await wide.authenticate({ token: 'system-reader-token-0123456789' })).grants).toEqual([
      { namespace: EVERY_NAMESPACE, role: 'read' },
    ]);
  });

  it('refuses wildcard scopes that hold a colon or space, or that are given without auth', () => {
    for (const [argv, flagName] of [
      [['--auth', 'jwt', '--jwt-secret', SECRET, '--auth-wildcard-scopes', 'a:b'], '--auth-wildcard-scopes'],
      [['--auth', 'jwt', '--jwt-secret', SECRET, '--auth-wildcard-scopes', 'a b'], '--auth-wildcard-scopes'],
      [['--auth-wildcard-scopes', 'system'], '--auth-wildcard-scopes'],
    ] as const) {
      let thrown: unknown;
      try {
        loadConfig({}, [...argv]);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CodecError);
      expect((thrown as CodecError).code).toBe(ERROR_CODES.invalidConfig);
      expect((thrown as CodecError).message).toContain(flagName);
    }
  });
});
