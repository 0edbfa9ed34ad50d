import type { VaultAuthConfig } from './auth/create-vault-auth.js';
import type { KeySourceKind } from './key-source.js';
import type { KeySourceSettingName } from './key-source-settings.js';

/** The key source settings once each is valid on its own, before they are checked together. */
export interface KeySourceValues {
  readonly keySource?: KeySourceKind;
  readonly keyringPath?: string;
  readonly vaultAddr?: string;
  readonly vaultNamespace?: string;
  readonly vaultKvMount?: string;
  readonly vaultKeyPrefix?: string;
  readonly vaultTransitMount?: string;
  readonly vaultTransitKeyPrefix?: string;
  readonly vaultAuth?: VaultAuthConfig['method'];
  readonly vaultToken?: string;
  readonly vaultAuthMount?: string;
  readonly vaultRoleId?: string;
  readonly vaultRoleIdFile?: string;
  readonly vaultSecretId?: string;
  readonly vaultSecretIdFile?: string;
  readonly vaultK8sRole?: string;
  readonly vaultK8sJwtFile?: string;
  readonly vaultTimeoutMs?: number;
  readonly vaultRetries?: number;
}

/** Reports one problem with a setting; the message completes "--flag (VARIABLE): ...". */
export type Fail = (setting: KeySourceSettingName, message: string) => void;

const TRANSIT_ONLY = ['vaultTransitMount', 'vaultTransitKeyPrefix'] as const;
const KV_ONLY = ['vaultKvMount', 'vaultKeyPrefix'] as const;
const APPROLE_ONLY = ['vaultRoleId', 'vaultRoleIdFile', 'vaultSecretId', 'vaultSecretIdFile'] as const;
const KUBERNETES_ONLY = ['vaultK8sRole', 'vaultK8sJwtFile'] as const;
const LOGIN_ONLY = ['vaultAuthMount', ...APPROLE_ONLY, ...KUBERNETES_ONLY] as const;

/** The key source in effect: `keySource` when given, else `vault-kv` when a Vault address is set, else `local`. */
export function keySourceKind(values: Pick<KeySourceValues, 'keySource' | 'vaultAddr'>): KeySourceKind {
  return values.keySource ?? (values.vaultAddr === undefined ? 'local' : 'vault-kv');
}

/**
 * Checks the key source settings together. Settings meant for another key source or auth method are refused rather
 * than ignored: a forgotten `VAULT_ADDR` must not silently turn an AppRole setup into the local keyring. Each
 * message names the fix, not only the fault: these are what an operator reads at start.
 */
export function checkKeySource(values: KeySourceValues, fail: Fail): void {
  const kind = keySourceKind(values);
  if (kind === 'local') {
    for (const name of ['vaultAuth', ...LOGIN_ONLY, ...TRANSIT_ONLY] as const) {
      if (values[name] !== undefined)
        fail(
          name,
          'is only used with a Vault key source (the key source is local); set --vault-addr (VAULT_ADDR), and ' +
            '--key-source vault-transit for Transit',
        );
    }
    return;
  }
  if (values.vaultAddr === undefined)
    fail('vaultAddr', `is required for the ${kind} key source (e.g. http://127.0.0.1:8200)`);
  if (kind === 'vault-kv') {
    for (const name of TRANSIT_ONLY)
      if (values[name] !== undefined)
        fail(name, 'is only used with --key-source vault-transit (the key source is vault-kv)');
  } else {
    for (const name of KV_ONLY)
      if (values[name] !== undefined)
        fail(
          name,
          'is only used with --key-source vault-kv; for Transit use --vault-transit-mount and --vault-transit-key-prefix',
        );
  }
  checkAuth(values, kind, fail);
}

function checkAuth(values: KeySourceValues, kind: string, fail: Fail): void {
  const method = values.vaultAuth ?? 'token';
  const misplaced = (names: readonly (typeof LOGIN_ONLY)[number][], wanted: string) => {
    for (const name of names)
      if (values[name] !== undefined)
        fail(name, `is only used with --vault-auth ${wanted} (the method is ${method}); add --vault-auth ${wanted}`);
  };
  if (method === 'token') {
    if (values.vaultToken === undefined)
      fail(
        'vaultToken',
        `is required to log in to Vault with a token (--vault-auth token, the default, for the ${kind} key source); ` +
          'export VAULT_TOKEN, or choose --vault-auth approle or kubernetes',
      );
    misplaced(['vaultAuthMount'], 'approle or kubernetes');
  }
  if (method !== 'approle') misplaced(APPROLE_ONLY, 'approle');
  if (method !== 'kubernetes') misplaced(KUBERNETES_ONLY, 'kubernetes');
  if (method === 'approle') {
    if (values.vaultRoleId === undefined && values.vaultRoleIdFile === undefined)
      fail('vaultRoleId', 'is required for --vault-auth approle; set VAULT_ROLE_ID or --vault-role-id-file');
    if (values.vaultRoleId !== undefined && values.vaultRoleIdFile !== undefined)
      fail('vaultRoleIdFile', 'cannot be combined with --vault-role-id (VAULT_ROLE_ID); pick one');
    if (values.vaultSecretId !== undefined && values.vaultSecretIdFile !== undefined)
      fail('vaultSecretIdFile', 'cannot be combined with VAULT_SECRET_ID; pick one');
  }
  if (method === 'kubernetes' && values.vaultK8sRole === undefined)
    fail('vaultK8sRole', "is required for --vault-auth kubernetes (the Vault role bound to the pod's service account)");
}
