import { z } from 'zod';
import { defineSetting as setting, settingFields } from '../codec/index.js';

const { duration, flag, httpUrl, list, text } = settingFields;

/**
 * The codec server's authentication settings (none, static tokens, JWT), spread into the one settings table
 * (`config-settings.ts`); the rules between them are in `config-rules.ts`.
 */
export const AUTH_SETTINGS = {
  auth: setting({
    flag: 'auth',
    env: 'CODEC_AUTH',
    schema: z.enum(['none', 'static', 'jwt'], 'must be none, static or jwt').default('none'),
    help: 'none (default), static or jwt',
    docsDefault: '`none`',
    docs: '`none`, `static` or `jwt`',
  }),
  authTokensFile: setting({
    flag: 'auth-tokens-file',
    env: 'CODEC_AUTH_TOKENS_FILE',
    schema: text.optional(),
    help: 'static mode: JSON file mapping token -> {subject, permissions}',
    docs: '`static`: JSON file of tokens',
  }),
  jwksUrl: setting({
    flag: 'jwks-url',
    env: 'CODEC_JWKS_URL',
    schema: httpUrl.optional(),
    help: 'jwt mode: JWKS URL of the issuer',
    docs: "`jwt`: the issuer's JWKS URL",
  }),
  jwtSecret: setting({
    flag: 'jwt-secret',
    env: 'CODEC_JWT_SECRET',
    schema: text.min(32, 'must be at least 32 characters (HS256 needs a 256-bit key)').optional(),
    help: 'jwt mode: HS256 shared secret (prefer the environment variable)',
    docs: '`jwt`: HS256 shared secret, at least 32 characters (prefer the variable)',
  }),
  jwtIssuer: setting({
    flag: 'jwt-issuer',
    env: 'CODEC_JWT_ISSUER',
    schema: text.optional(),
    help: 'jwt mode: required iss',
    docs: '`jwt`: required `iss`',
  }),
  jwtAudience: setting({
    flag: 'jwt-audience',
    env: 'CODEC_JWT_AUDIENCE',
    schema: list.optional(),
    help: 'jwt mode: accepted aud values, comma-separated',
    docs: '`jwt`: accepted `aud` values, comma-separated',
  }),
  jwtMaxTokenAge: setting({
    flag: 'jwt-max-token-age',
    env: 'CODEC_JWT_MAX_TOKEN_AGE',
    schema: duration().optional(),
    help: 'jwt mode: refuse tokens issued (iat) longer ago than this, e.g. 12h; iat is then required (default off)',
    docs: '`jwt`: refuse tokens whose `iat` is older than this (then `iat` is required)',
  }),
  jwksAllowHttp: setting({
    flag: 'jwks-allow-http',
    env: 'CODEC_JWKS_ALLOW_HTTP',
    type: 'boolean',
    schema: flag.optional(),
    help: 'jwt mode: accept a plain-http --jwks-url (keys could be swapped in transit; default off)',
    docs: '`jwt`: accept a plain-http `--jwks-url`',
  }),
  authWildcardScopes: setting({
    flag: 'auth-wildcard-scopes',
    env: 'CODEC_AUTH_WILDCARD_SCOPES',
    schema: list
      .pipe(z.array(z.string().regex(/^[^\s:]+$/, 'scopes hold no ":" and no space')).min(1, 'must name a scope'))
      .optional(),
    help:
      'static/jwt: comma-separated scopes that grant every namespace besides temporal-system, e.g. "*,system" ' +
      '(default none, as Temporal)',
    docs: '`static`, `jwt`: scopes granting every namespace besides `temporal-system` (opt-in; Temporal has none)',
  }),
  jwtPermissionsClaim: setting({
    flag: 'jwt-permissions-claim',
    env: 'CODEC_JWT_PERMISSIONS_CLAIM',
    schema: text.default('permissions'),
    help: 'jwt mode: claim holding "<namespace>:<role>" entries (default permissions)',
    docsDefault: '`permissions`',
    docs: '`jwt`: claim holding the permissions',
  }),
};
