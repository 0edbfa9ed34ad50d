import type { RequestHandler } from 'express';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';
import type { Identity } from './identity.js';
import { EVERY_NAMESPACE, isAllowed, type CodecAction, type Grant } from './permissions.js';
import { requestContext } from './request-context.js';

/** The credentials a request presented. */
export interface Credentials {
  /** The bearer token of the `Authorization` header, if any. */
  readonly token?: string;
  /** The Web UI's id token (`Authorization-Extras`), if any. Never required. */
  readonly extras?: string;
}

/** Verifies credentials. Implementations: none (everyone may do everything), static tokens, JWT. */
export interface Authenticator {
  readonly mode: 'none' | 'static' | 'jwt';
  /**
   * Resolves the caller's identity.
   *
   * @throws HttpError 401 when a token is required and missing, or does not verify.
   */
  authenticate(credentials: Credentials): Promise<Identity>;
}

/** The realm named in `WWW-Authenticate`. */
const REALM = 'temporal-codec-server';

/** The authenticator used when auth is off: every caller is `anonymous` with every permission. */
export function createNoAuthenticator(): Authenticator {
  const grants: readonly Grant[] = Object.freeze([{ namespace: EVERY_NAMESPACE, role: 'admin' }]);
  const identity: Identity = Object.freeze({ subject: 'anonymous', grants });
  return { mode: 'none', authenticate: () => Promise.resolve(identity) };
}

/**
 * A 401 with the `WWW-Authenticate` header RFC 6750 asks for. The message says what kind of failure it was (missing,
 * malformed, invalid, expired) and never echoes the token.
 */
export function unauthorized(message: string, invalidToken: boolean): HttpError {
  const challenge = invalidToken ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`;
  return new HttpError(401, SERVER_ERROR_CODES.unauthorized, message, { 'WWW-Authenticate': challenge });
}

/** Extracts the bearer token of an `Authorization` header (`Bearer <token>`, any case, as the CLI's `--codec-auth`). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (match?.[1] === undefined) throw unauthorized('Authorization header must be "Bearer <token>"', true);
  return match[1];
}

/**
 * Express middleware: authenticates the request and stores the identity in the request context.
 *
 * @internal Left out of the published types, which must not need express's.
 */
export function authenticateRequest(authenticator: Authenticator): RequestHandler {
  return (req, res, next) => {
    let credentials: Credentials;
    try {
      credentials =
        authenticator.mode === 'none' ? {} : readCredentials(req.get('authorization'), req.get('authorization-extras'));
    } catch (err) {
      next(err);
      return;
    }
    authenticator.authenticate(credentials).then(
      (identity) => {
        requestContext(res).identity = identity;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/**
 * Reads the bearer token and the Web UI's id token. Not called with auth off: a proxy's own `Authorization` header
 * (e.g. Basic) must not fail a request then.
 *
 * @throws HttpError 401 for an `Authorization` header that is not `Bearer <token>`.
 */
export function readCredentials(
  authorization: string | undefined,
  authorizationExtras: string | undefined,
): Credentials {
  const token = bearerToken(authorization);
  const extras = authorizationExtras?.replace(/^Bearer\s+/i, '').trim();
  return { ...(token === undefined ? {} : { token }), ...(extras ? { extras } : {}) };
}

/**
 * Checks that `identity` may perform `action` on `namespace`.
 *
 * @throws HttpError 403 otherwise.
 */
export function authorize(identity: Identity, namespace: string, action: CodecAction): void {
  if (!isAllowed(identity.grants, namespace, action)) {
    const needs = action === 'encode' ? 'write, worker or admin' : 'any';
    throw new HttpError(
      403,
      SERVER_ERROR_CODES.forbidden,
      `${identity.subject} may not ${action} in namespace ${JSON.stringify(namespace)} (needs ${needs} role on it)`,
    );
  }
}
