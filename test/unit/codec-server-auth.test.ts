import { createHash } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createJwtAuthenticator,
  createStaticAuthenticator,
  loadConfig,
  parseStaticTokens,
  type JwtAuthConfig,
} from '../../codec-server/index.js';
import { createHarness, jsonPayloadJson, type Harness } from '../../harness/codec-server-harness.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'temporal-codec';
const jwtArgv = ['--auth', 'jwt', '--jwt-secret', SECRET, '--jwt-issuer', ISSUER, '--jwt-audience', AUDIENCE];
const key = new TextEncoder().encode(SECRET);

function jwtHarness(argv = jwtArgv, fetchImpl?: typeof fetch): Harness {
  const config = loadConfig({}, argv);
  const authenticator = createJwtAuthenticator(
    config.auth as JwtAuthConfig,
    fetchImpl === undefined ? {} : { fetch: fetchImpl },
  );
  return createHarness({ argv, authenticator });
}

async function token(
  claims: JWTPayload,
  options: { expiresIn?: string | number; issuer?: string; audience?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(key);
}

const h = jwtHarness();
const harnesses: Harness[] = [h];
afterAll(async () => {
  await Promise.all(harnesses.map((made) => made.close()));
});

function call(app: Harness['app'], path: string, bearer?: string) {
  const req = request(app)
    .post(path)
    .send({ payloads: [jsonPayloadJson('secret')] });
  return bearer === undefined ? req : req.set('Authorization', `Bearer ${bearer}`);
}

function codeOf(res: request.Response): string | undefined {
  return (res.body as { error?: { code: string } }).error?.code;
}

describe('codec server: JWT auth (HS256 shared secret)', () => {
  it('answers 401 with WWW-Authenticate: Bearer when no token is sent', async () => {
    const res = await call(h.app, '/decode').expect(401);
    expect(codeOf(res)).toBe('ERR_UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('answers 401 for a malformed header, a garbage token, a wrong signature, issuer or audience', async () => {
    const wrongKey = await new SignJWT({ permissions: ['default:admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    const cases = [
      await request(h.app).post('/decode').set('Authorization', 'Basic dXNlcjpwYXNz').send({}),
      await call(h.app, '/decode', 'not-a-jwt'),
      await call(h.app, '/decode', wrongKey),
      await call(h.app, '/decode', await token({ permissions: ['default:admin'] }, { issuer: 'https://evil.example' })),
      await call(h.app, '/decode', await token({ permissions: ['default:admin'] }, { audience: 'someone-else' })),
    ];
    for (const res of cases) {
      expect([res.status, codeOf(res)]).toEqual([401, 'ERR_UNAUTHORIZED']);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('answers 401 "token expired" for an expired token', async () => {
    const expired = await token(
      { permissions: ['default:admin'] },
      { expiresIn: Math.floor(Date.now() / 1000) - 3600 },
    );
    const res = await call(h.app, '/decode', expired).expect(401);
    expect(codeOf(res)).toBe('ERR_UNAUTHORIZED');
    expect((res.body as { error: { message: string } }).error.message).toBe('token expired');
  });

  it('answers 403 for a namespace the token has no role on', async () => {
    const other = await token({ sub: 'bob', permissions: ['billing:admin'] });
    expect(codeOf(await call(h.app, '/decode', other).expect(403))).toBe('ERR_FORBIDDEN');
    expect(codeOf(await call(h.app, '/billing/decode', other).expect(200))).toBeUndefined();
  });

  it('lets the read role decode but answers 403 on encode (the decode-only role)', async () => {
    const reader = await token({ sub: 'reader', permissions: ['default:read'] });
    await call(h.app, '/decode', reader).expect(200);
    expect(codeOf(await call(h.app, '/encode', reader).expect(403))).toBe('ERR_FORBIDDEN');
  });

  it('lets write, worker and admin roles encode; only temporal-system covers every namespace', async () => {
    for (const permissions of [['default:write'], ['default:worker'], ['default:admin'], ['temporal-system:admin']]) {
      const res = await call(h.app, '/encode', await token({ permissions }));
      expect([permissions, res.status]).toEqual([permissions, 200]);
    }
    for (const permissions of [['*:write'], ['system:admin']]) {
      const res = await call(h.app, '/encode', await token({ permissions }));
      expect([permissions, res.status]).toEqual([permissions, 403]);
    }
  });

  it('reads permissions from a configurable claim', async () => {
    const custom = jwtHarness([...jwtArgv, '--jwt-permissions-claim', 'https://temporal.example/perms']);
    harnesses.push(custom);
    const res = await call(custom.app, '/encode', await token({ 'https://temporal.example/perms': ['default:write'] }));
    expect(res.status).toBe(200);
  });

  it('accepts the UI id token in Authorization-Extras for the audit line, and never requires it', async () => {
    const access = await token({ sub: 'user-123', permissions: ['default:read'] });
    const idToken = await token({ sub: 'user-123', email: 'ada@example.com' }, { audience: 'ui-client-id' });
    await call(h.app, '/decode', access).set('Authorization-Extras', idToken).expect(200);
    expect(h.auditLines().at(-1)).toMatchObject({ caller: 'user-123', callerDetail: 'ada@example.com' });
    await call(h.app, '/decode', access).set('Authorization-Extras', 'garbage').expect(200);
    expect(h.auditLines().at(-1)).toMatchObject({ caller: 'user-123' });
    expect(h.auditLines().at(-1)).not.toHaveProperty('callerDetail');
  });

  it('lets preflights, /healthz, /readyz and /metrics through without a token', async () => {
    await request(h.app)
      .options('/decode')
      .set('Origin', 'http://localhost:8233')
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
    await request(h.app).get('/healthz').expect(200);
    await request(h.app).get('/readyz').expect(200);
    await request(h.app).get('/metrics').expect(200);
  });
});

describe('codec server: JWT auth against a JWKS', () => {
  it('verifies RS256 tokens with keys fetched from --jwks-url, cached across requests', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    let fetches = 0;
    const fetchJwks = (() => {
      fetches++;
      return Promise.resolve(Response.json({ keys: [jwk] }));
    }) as typeof fetch;
    const made = jwtHarness(
      ['--auth', 'jwt', '--jwks-url', 'https://issuer.example.com/.well-known/jwks.json'],
      fetchJwks,
    );
    harnesses.push(made);
    const signed = await new SignJWT({ sub: 'svc', permissions: ['default:worker'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setExpirationTime('5m')
      .sign(privateKey);
    await call(made.app, '/encode', signed).expect(200);
    await call(made.app, '/decode', signed).expect(200);
    expect(fetches).toBe(1);
  });

  it('answers 503 ERR_UNAVAILABLE (retry) when the JWKS cannot be fetched', async () => {
    const failing = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
    const made = jwtHarness(['--auth', 'jwt', '--jwks-url', 'https://issuer.example.com/jwks'], failing);
    harnesses.push(made);
    const { privateKey } = await generateKeyPair('RS256');
    const signed = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
    expect(codeOf(await call(made.app, '/decode', signed).expect(503))).toBe('ERR_UNAVAILABLE');
  });
});

describe('codec server: static tokens', () => {
  const hashed = 'a-token-stored-only-as-its-hash';
  const tokens = parseStaticTokens(
    JSON.stringify({
      'ui-reader-token-0123456789': { subject: 'web-ui', permissions: ['default:read'] },
      [`sha256:${createHash('sha256').update(hashed).digest('hex')}`]: {
        subject: 'ci',
        permissions: ['default:write'],
      },
    }),
  );
  const made = createHarness({
    argv: ['--auth', 'static', '--auth-tokens-file', 'unused.json'],
    authenticator: createStaticAuthenticator(tokens),
  });
  harnesses.push(made);

  it('accepts a listed token with its permissions, and audits its subject', async () => {
    await call(made.app, '/decode', 'ui-reader-token-0123456789').expect(200);
    expect(made.auditLines().at(-1)).toMatchObject({ caller: 'web-ui', status: 200 });
    expect(codeOf(await call(made.app, '/encode', 'ui-reader-token-0123456789').expect(403))).toBe('ERR_FORBIDDEN');
  });

  it('accepts a token listed by its SHA-256', async () => {
    await call(made.app, '/encode', hashed).expect(200);
  });

  it('answers 401 for a missing or unknown token', async () => {
    expect(codeOf(await call(made.app, '/decode').expect(401))).toBe('ERR_UNAUTHORIZED');
    expect(codeOf(await call(made.app, '/decode', 'ui-reader-token-012345678X').expect(401))).toBe('ERR_UNAUTHORIZED');
  });

  it('refuses a tokens file with a bad entry, without echoing the token', () => {
    const bad = JSON.stringify({ 'short-secret-value-xyz': { subject: 'x' } });
    expect(() => parseStaticTokens(bad)).toThrow(/entry #1/);
    expect(() => parseStaticTokens(bad)).not.toThrow(/short-secret-value-xyz/);
  });
});

describe('codec server: auth off (the default)', () => {
  const open = createHarness();
  harnesses.push(open);

  it('serves every caller as anonymous, and ignores an Authorization header a proxy may add', async () => {
    await request(open.app)
      .post('/encode')
      .send({ payloads: [jsonPayloadJson(1)] })
      .expect(200);
    await request(open.app)
      .post('/decode')
      .set('Authorization', 'Basic dXNlcjpwYXNz')
      .send({ payloads: [] })
      .expect(200);
    expect(open.auditLines().map((line) => line.caller)).toEqual(['anonymous', 'anonymous']);
  });
});
