import { postLogin } from './login-request.js';
import { readSecret, type ReadTextFile, type SecretSource } from './secret-source.js';
import { TokenSession } from './token-session.js';
import type { VaultAuth, VaultAuthObserver, VaultAuthTransport } from './vault-auth.js';

/** Options of {@link appRoleAuth}. */
export interface AppRoleAuthOptions {
  readonly transport: VaultAuthTransport;
  readonly roleId: SecretSource;
  /** Absent for roles created with `bind_secret_id=false`. */
  readonly secretId?: SecretSource;
  /** The AppRole auth mount. Default `approle`. */
  readonly mount?: string;
  readonly renewAtFraction?: number;
  readonly observer?: VaultAuthObserver;
  readonly readFile?: ReadTextFile;
}

/**
 * AppRole login (`POST auth/<mount>/login` with `role_id` and `secret_id`), renewed in the background and repeated
 * when the token can no longer be renewed or Vault rejects it. Files are read again at each login, so a rotated
 * secret id is picked up without a restart.
 */
export function appRoleAuth(options: AppRoleAuthOptions): VaultAuth {
  const mount = options.mount ?? 'approle';
  return new TokenSession({
    method: 'approle',
    transport: options.transport,
    login: async () => {
      const body: Record<string, string> = {
        role_id: await readSecret(options.roleId, 'AppRole role id', options.readFile),
      };
      if (options.secretId !== undefined) {
        body.secret_id = await readSecret(options.secretId, 'AppRole secret id', options.readFile);
      }
      return postLogin(options.transport, mount, body, 'approle');
    },
    ...(options.renewAtFraction === undefined ? {} : { renewAtFraction: options.renewAtFraction }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
}
