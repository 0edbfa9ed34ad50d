import { CodecError, ERROR_CODES } from '../../errors.js';
import { VaultClient, type VaultClientOptions } from '../vault-client.js';
import { appRoleAuth } from './approle-auth.js';
import { kubernetesAuth } from './kubernetes-auth.js';
import type { ReadTextFile, SecretSource } from './secret-source.js';
import { tokenAuth } from './token-auth.js';
import type { VaultAuth, VaultAuthObserver, VaultAuthTransport } from './vault-auth.js';

/** How to authenticate to Vault, as configuration describes it. */
export type VaultAuthConfig =
  | { readonly method: 'token'; readonly token: string }
  | {
      readonly method: 'approle';
      readonly roleId: SecretSource;
      readonly secretId?: SecretSource;
      /** Default `approle`. */
      readonly mount?: string;
    }
  | {
      readonly method: 'kubernetes';
      readonly role: string;
      /** Default: the pod's service-account token file. */
      readonly jwt?: SecretSource;
      /** Default `kubernetes`. */
      readonly mount?: string;
    };

/** What {@link createVaultAuth} needs besides the configuration. */
export interface VaultAuthDeps {
  readonly transport: VaultAuthTransport;
  readonly observer?: VaultAuthObserver;
  readonly readFile?: ReadTextFile;
  /** Renew at this fraction of the TTL. Default 2/3. */
  readonly renewAtFraction?: number;
}

/** Builds the {@link VaultAuth} for `config`. */
export function createVaultAuth(config: VaultAuthConfig, deps: VaultAuthDeps): VaultAuth {
  const common = {
    transport: deps.transport,
    ...(deps.observer === undefined ? {} : { observer: deps.observer }),
    ...(deps.renewAtFraction === undefined ? {} : { renewAtFraction: deps.renewAtFraction }),
  };
  const files = deps.readFile === undefined ? {} : { readFile: deps.readFile };
  switch (config.method) {
    case 'token':
      return tokenAuth({ ...common, token: config.token });
    case 'approle':
      return appRoleAuth({
        ...common,
        ...files,
        roleId: config.roleId,
        ...(config.secretId === undefined ? {} : { secretId: config.secretId }),
        ...(config.mount === undefined ? {} : { mount: config.mount }),
      });
    case 'kubernetes':
      return kubernetesAuth({
        ...common,
        ...files,
        role: config.role,
        ...(config.jwt === undefined ? {} : { jwt: config.jwt }),
        ...(config.mount === undefined ? {} : { mount: config.mount }),
      });
    default:
      throw new CodecError(ERROR_CODES.invalidConfig, 'Unknown Vault auth method');
  }
}

/** A {@link VaultClient} that authenticates with a {@link VaultAuth}, and that auth (close it on shutdown). */
export interface AuthenticatedVaultClient {
  readonly client: VaultClient;
  readonly auth: VaultAuth;
}

/**
 * Wires an auth method to a {@link VaultClient}: the client asks `auth.token()` before each request and lets the
 * auth log in again when Vault rejects an expired token. Auth calls (login, lookup, renew) go through a second
 * client with the same address and limits but no token of its own.
 */
export function createAuthenticatedVaultClient(
  connection: Omit<VaultClientOptions, 'token' | 'onForbidden'>,
  config: VaultAuthConfig,
  deps: Omit<VaultAuthDeps, 'transport'> = {},
): AuthenticatedVaultClient {
  const transport = new VaultClient({ ...connection, token: '' });
  const auth = createVaultAuth(config, { ...deps, transport });
  const client = new VaultClient({ ...connection, token: () => auth.token(), onForbidden: () => auth.onForbidden() });
  return { client, auth };
}
