import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, type JWTPayload } from 'jose';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import type { CodecError } from '../../codec/index.js';
import { ERROR_CODES } from '../../codec/index.js';
import { createJwtAuthenticator, createServerDeps, loadConfig, type JwtAuthConfig } from '../../codec-server/index.js';
import { createHarness, jsonPayloadJson, type Harness } from '../../harness/codec-server-harness.js';

// A JWT without `exp` would be valid forever: refused. An optional maximum age bounds tokens by `iat` as well. The
// JWKS must come over https (a plain-http JWKS lets anyone on the path mint tokens) unless explicitly allowed, and a
// server that checks no audience says so at start.

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const key = new TextEncoder().encode(SECRET);
const base = ['--auth', 'jwt', '--jwt-secret', SECRET, '--jwt-audience', 'codec'];
const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((made) => made.close()));
});

function jwtHarness(extra: string[] = []): Harness {
  const argv = [...base, ...extra];
  const made = createHarness({
    argv,
    authenticator: createJwtAuthenticator(loadConfig({}, argv).auth as JwtAuthConfig),
  });
  harnesses.push(made);
  return made;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs `claims` with the audience; `exp` and `iat` only when given. */
function sign(claims: JWTPayload): Promise<string> {
  return new SignJWT({ sub: 'caller', permissions: ['default:admin'], ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setAudience('codec')
    .sign(key);
}

async function decode(app: Harness['app'], token: string) {
  const res = await request(app)
    .post('/decode')
    .set('Content-Type', 'application/json')
    .set('Authorization', `Bearer ${token}`)
    .send({ payloads: [jsonPayloadJson(1)] });
  return [res.status, (res.body as { error?: { code: string } }).error?.code];
}

function configProblem(argv: string[]): string {
  try {
    loadConfig({}, argv);
  } catch (err) {
    expect((err as CodecError).code).toBe(ERROR_CODES.invalidConfig);
    return (err as CodecError).message;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('codec server: JWT claims', () => {
  it('refuses a token without exp (401), and accepts the same token with one', async () => {
    const h = jwtHarness();
    expect(await decode(h.app, await sign({ iat: nowSeconds() }))).toEqual([401, 'ERR_UNAUTHORIZED']);
    expect(await decode(h.app, await sign({ iat: nowSeconds(), exp: nowSeconds() + 300 }))).toEqual([200, undefined]);
  });

  it('with --jwt-max-token-age refuses tokens issued too long ago, or without iat', async () => {
    const h = jwtHarness(['--jwt-max-token-age', '1h']);
    expect(h.config.auth).toMatchObject({ maxTokenAgeSeconds: 3600 });
    const exp = nowSeconds() + 86_400;
    expect(await decode(h.app, await sign({ iat: nowSeconds() - 2 * 3600, exp }))).toEqual([401, 'ERR_UNAUTHORIZED']);
    expect(await decode(h.app, await sign({ exp }))).toEqual([401, 'ERR_UNAUTHORIZED']);
    expect(await decode(h.app, await sign({ iat: nowSeconds() - 60, exp }))).toEqual([200, undefined]);
  });

  it('refuses a plain-http --jwks-url unless --jwks-allow-http is given; https is fine', () => {
    const jwks = ['--auth', 'jwt', '--jwt-audience', 'codec', '--jwks-url'];
    expect(configProblem([...jwks, 'http://issuer.example.com/jwks.json'])).toContain('--jwks-url');
    expect(loadConfig({}, [...jwks, 'http://127.0.0.1:9/jwks.json', '--jwks-allow-http']).auth).toMatchObject({
      jwksUrl: 'http://127.0.0.1:9/jwks.json',
    });
    expect(loadConfig({}, [...jwks, 'https://issuer.example.com/jwks.json']).auth).toMatchObject({ mode: 'jwt' });
    expect(configProblem(['--jwks-allow-http'])).toContain('--jwks-allow-http');
    expect(configProblem(['--jwt-max-token-age', '1h'])).toContain('--jwt-max-token-age');
  });

  it('warns at start when no --jwt-audience is set, and not when one is', async () => {
    const keyring = join(mkdtempSync(join(tmpdir(), 'jwt-claims-')), 'keyring.json');
    const warnings = async (argv: string[]) => {
      const lines: string[] = [];
      const deps = await createServerDeps(loadConfig({}, ['--keyring', keyring, ...argv]), {
        logDestination: { write: (line: string) => void lines.push(line) },
      });
      await deps.close();
      return lines
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.level === 40);
    };
    const without = await warnings(['--auth', 'jwt', '--jwt-secret', SECRET]);
    expect(without).toEqual([expect.objectContaining({ msg: expect.stringContaining('--jwt-audience') as string })]);
    expect(await warnings(base)).toEqual([]);
  });
});
