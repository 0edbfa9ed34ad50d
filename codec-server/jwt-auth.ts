import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { unauthorized, type Authenticator } from './auth.js';
import type { Identity } from './identity.js';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';
import type { AuthConfig } from './config-types.js';
import { parsePermissions } from './permissions.js';

/** The `jwt` variant of {@link AuthConfig}. */
export type JwtAuthConfig = Extract<AuthConfig, { mode: 'jwt' }>;

/** What {@link createJwtAuthenticator} needs besides the configuration. */
export interface JwtAuthDeps {
  /** `fetch` used for the JWKS (tests serve their own). Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Milliseconds clock for expiry checks. Default `Date.now`. */
  readonly now?: () => number;
}

/** Seconds of clock skew tolerated between the issuer and this server. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Bearer JWTs verified with `jose`: against a JWKS URL (keys fetched, cached and refreshed by `createRemoteJWKSet`)
 * or an HS256 shared secret. `exp` is required; `iat` too when a maximum token age is configured. Issuer and audience
 * are checked when configured; the permissions claim follows the Temporal server's convention (see `permissions.ts`).
 *
 * The Web UI's id token (`Authorization-Extras`) is verified against the same keys and issuer but not the audience
 * (an id token's audience is the UI's client id); when it verifies, its `email` or `name` enriches the audit line.
 * It never grants anything.
 */
export function createJwtAuthenticator(config: JwtAuthConfig, deps: JwtAuthDeps = {}): Authenticator {
  const now = deps.now ?? Date.now;
  const permissionOptions = { wildcardScopes: config.wildcardScopes ?? [] };
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[] | undefined;
  if (config.secret !== undefined) {
    key = new TextEncoder().encode(config.secret);
    algorithms = ['HS256'];
  } else if (config.jwksUrl !== undefined) {
    const fetchImpl = deps.fetch;
    key = createRemoteJWKSet(new URL(config.jwksUrl), {
      timeoutDuration: 5000,
      ...(fetchImpl === undefined ? {} : { [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init) }),
    });
  } else {
    throw new TypeError('jwt auth needs a JWKS URL or a secret');
  }

  const verify = async (token: string, audience: boolean): Promise<JWTPayload> => {
    const options = {
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now()),
      // A token without an expiry would be valid forever; jose then also needs `iat` for a maximum age.
      requiredClaims: ['exp'],
      ...(config.maxTokenAgeSeconds === undefined ? {} : { maxTokenAge: config.maxTokenAgeSeconds }),
      ...(algorithms === undefined ? {} : { algorithms }),
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
      ...(audience && config.audience !== undefined ? { audience: [...config.audience] } : {}),
    };
    // Two overloads (static key, key getter) with one body: pick by type so each call type-checks.
    const result =
      typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
    return result.payload;
  };

  return {
    mode: 'jwt',
    async authenticate({ token, extras }): Promise<Identity> {
      if (token === undefined) throw unauthorized('a bearer token is required', false);
      let claims: JWTPayload;
      try {
        claims = await verify(token, true);
      } catch (err) {
        throw toHttpError(err);
      }
      const detail = extras === undefined ? undefined : await verify(extras, false).then(displayName, () => undefined);
      return {
        subject: typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : 'unknown',
        grants: parsePermissions(claims[config.permissionsClaim], permissionOptions),
        ...(detail === undefined ? {} : { detail }),
      };
    },
  };
}

/**
 * A 401 naming the failed check and nothing of the token, or a 503 when the signing keys could not be fetched (the
 * token may be fine: the client should retry, not log in again).
 */
function toHttpError(err: unknown): HttpError {
  // jose throws its base JOSEError only for a JWKS response that is not 200 JSON; a network failure is no JOSEError.
  const keysUnavailable = !(err instanceof errors.JOSEError) || err.code === 'ERR_JOSE_GENERIC';
  if (keysUnavailable || err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return new HttpError(
      503,
      SERVER_ERROR_CODES.unavailable,
      'could not fetch the token signing keys (JWKS); retry later',
    );
  }
  if (err instanceof errors.JWTExpired) return unauthorized('token expired', true);
  if (err instanceof errors.JWTClaimValidationFailed) {
    return err.reason === 'missing'
      ? unauthorized(`token has no ${JSON.stringify(err.claim)} claim`, true)
      : unauthorized(`token claim ${JSON.stringify(err.claim)} is not accepted`, true);
  }
  return unauthorized('invalid token', true);
}

function displayName(claims: JWTPayload): string | undefined {
  for (const name of ['email', 'preferred_username', 'name', 'sub']) {
    const value = claims[name];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}
