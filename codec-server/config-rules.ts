import type { KeySourceKind } from '../codec/index.js';
import type { ServerSettingName } from './config-settings.js';

/** The codec server's own settings once each is valid on its own (what the rules below read). */
export interface ServerRuleInput {
  readonly workers: string;
  readonly auth: 'none' | 'static' | 'jwt';
  readonly authTokensFile?: string | undefined;
  readonly jwksUrl?: string | undefined;
  readonly jwtSecret?: string | undefined;
  readonly jwtIssuer?: string | undefined;
  readonly jwtAudience?: readonly string[] | undefined;
  readonly jwtMaxTokenAge?: number | undefined;
  readonly jwksAllowHttp?: boolean | undefined;
  readonly authWildcardScopes?: readonly string[] | undefined;
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  readonly corsOrigins: readonly string[];
  readonly corsCredentials: boolean;
}

/** Reports one problem with a setting; the message completes "--flag (VARIABLE): ...". */
export type Fail = (setting: ServerSettingName, message: string) => void;

/**
 * The codec server's cross-field rules, all in one place (the key source's own are the library's
 * `checkKeySource`). Each rule names the fix, not only the fault: these messages are what an operator reads at boot.
 *
 * @param keySource the key source in effect, or `undefined` when its settings were refused already
 */
export function checkServerSettings(raw: ServerRuleInput, keySource: KeySourceKind | undefined, fail: Fail): void {
  if (raw.workers !== '1' && keySource === 'local') {
    // Several processes creating keys in one file would race, and a lost key is lost data.
    fail('workers', 'needs a Vault key source: the local keyring file is for a single process');
  }
  if (raw.auth === 'static' && raw.authTokensFile === undefined) {
    fail('auth', '--auth static needs --auth-tokens-file (a JSON file mapping token -> {subject, permissions})');
  }
  if (raw.auth !== 'static' && raw.authTokensFile !== undefined) {
    fail('authTokensFile', `is only used with --auth static (the mode is ${raw.auth}); add --auth static`);
  }
  if (raw.auth === 'jwt' && raw.jwksUrl === undefined && raw.jwtSecret === undefined) {
    fail('auth', '--auth jwt needs --jwks-url or --jwt-secret');
  }
  if (raw.jwksUrl !== undefined && raw.jwtSecret !== undefined) {
    fail('jwtSecret', 'cannot be combined with --jwks-url; pick one way to verify tokens');
  }
  if (raw.auth === 'none' && raw.authWildcardScopes !== undefined) {
    fail('authWildcardScopes', 'is only used with --auth static or jwt (auth is off: every caller may do anything)');
  }
  if (raw.jwksUrl !== undefined && new URL(raw.jwksUrl).protocol === 'http:' && raw.jwksAllowHttp !== true) {
    fail(
      'jwksUrl',
      'is plain http, so the signing keys could be replaced in transit; use https (or --jwks-allow-http)',
    );
  }
  const jwtOnly = ['jwksUrl', 'jwtSecret', 'jwtIssuer', 'jwtAudience', 'jwtMaxTokenAge', 'jwksAllowHttp'] as const;
  for (const name of jwtOnly) {
    if (raw.auth !== 'jwt' && raw[name] !== undefined)
      fail(name, `is only used with --auth jwt (the mode is ${raw.auth}); add --auth jwt`);
  }
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) {
    fail(raw.tlsCert === undefined ? 'tlsCert' : 'tlsKey', 'https needs both --tls-cert and --tls-key');
  }
  raw.corsOrigins.forEach((origin) => {
    if (origin !== '*' && !isOrigin(origin)) {
      fail('corsOrigins', `${JSON.stringify(origin)} is not an origin; write scheme://host[:port] with no path`);
    }
  });
  if (raw.corsCredentials && raw.corsOrigins.includes('*')) {
    fail(
      'corsOrigins',
      '* cannot be combined with --cors-credentials (browsers forbid it); list the UI origins instead',
    );
  }
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    const bare =
      url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    return (url.protocol === 'http:' || url.protocol === 'https:') && bare;
  } catch {
    return false;
  }
}
