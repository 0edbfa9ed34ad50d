import { z } from 'zod';
import { KUBERNETES_SERVICE_ACCOUNT_TOKEN, type SecretSource, type VaultAuthConfig } from '../codec/index.js';
import { duration, httpUrl, text } from './config-fields.js';
import type { OptionName } from './config-options.js';
import type { KeyCacheConfig, KeySourceConfig } from './config-types.js';

/** Key sources `--key-source` accepts. */
export const KEY_SOURCE_KINDS = ['local', 'vault-kv', 'vault-transit'] as const;

/** Vault auth methods `--vault-auth` accepts. */
export const VAULT_AUTH_METHODS = ['token', 'approle', 'kubernetes'] as const;

// Same rules as VaultTransitClient, checked here so that a typo stops the server at boot with the flag's name.
const transitMount = text.refine(
  (value) => /^[\w./-]+$/.test(value.replace(/^\/+|\/+$/g, '')),
  'must be a mount path such as transit',
);
const transitKeyPrefix = z
  .string()
  .regex(/^(?:\w[\w.@-]*)?$/, 'may hold only letters, digits and _ - . @, and must start with a letter or digit');

/**
 * The key source settings: where keys come from, how to log in to Vault, and the key cache limits. Mounts and
 * prefixes have no schema default, so that a setting given for the wrong key source can be told apart and refused.
 */
export const keySourceFields = {
  keySource: z.enum(KEY_SOURCE_KINDS, 'must be local, vault-kv or vault-transit').optional(),
  keyringPath: text.default('.codec-keyring.json'),
  vaultAddr: httpUrl.optional(),
  vaultToken: text.optional(),
  vaultNamespace: text.optional(),
  vaultKvMount: text.optional(),
  vaultKeyPrefix: z.string().optional(),
  vaultTransitMount: transitMount.optional(),
  vaultTransitKeyPrefix: transitKeyPrefix.optional(),
  vaultAuth: z.enum(VAULT_AUTH_METHODS, 'must be token, approle or kubernetes').optional(),
  vaultAuthMount: text.optional(),
  vaultRoleId: text.optional(),
  vaultRoleIdFile: text.optional(),
  vaultSecretId: text.optional(),
  vaultSecretIdFile: text.optional(),
  vaultK8sRole: text.optional(),
  vaultK8sJwtFile: text.optional(),
  keyCacheTtl: duration().optional(),
  keyMaxAge: duration().optional(),
  keyStaleIfError: duration(true).optional(),
};

type KeySourceRaw = z.output<z.ZodObject<typeof keySourceFields>>;

/** Reports one problem with a setting; the message completes "--flag (VARIABLE): ...". */
export type Fail = (path: OptionName, message: string) => void;

const TRANSIT_ONLY = ['vaultTransitMount', 'vaultTransitKeyPrefix'] as const;
const KV_ONLY = ['vaultKvMount', 'vaultKeyPrefix'] as const;
const APPROLE_ONLY = ['vaultRoleId', 'vaultRoleIdFile', 'vaultSecretId', 'vaultSecretIdFile'] as const;
const KUBERNETES_ONLY = ['vaultK8sRole', 'vaultK8sJwtFile'] as const;
const LOGIN_ONLY = ['vaultAuthMount', ...APPROLE_ONLY, ...KUBERNETES_ONLY] as const;

/** The key source in effect: `--key-source`, else `vault-kv` when a Vault address is set, else `local`. */
export function keySourceKind(raw: Pick<KeySourceRaw, 'keySource' | 'vaultAddr'>): (typeof KEY_SOURCE_KINDS)[number] {
  return raw.keySource ?? (raw.vaultAddr === undefined ? 'local' : 'vault-kv');
}

/**
 * Checks the key source settings together. Settings meant for another key source or auth method are refused rather
 * than ignored: a forgotten `VAULT_ADDR` must not silently turn an AppRole setup into the local keyring.
 */
export function checkKeySource(raw: KeySourceRaw, fail: Fail): void {
  const kind = keySourceKind(raw);
  if (kind === 'local') {
    for (const name of ['vaultAuth', ...LOGIN_ONLY, ...TRANSIT_ONLY] as const) {
      if (raw[name] !== undefined)
        fail(
          name,
          'is only used with a Vault key source (the key source is local); set --vault-addr (VAULT_ADDR), and ' +
            '--key-source vault-transit for Transit',
        );
    }
    return;
  }
  if (raw.vaultAddr === undefined)
    fail('vaultAddr', `is required for the ${kind} key source (e.g. http://127.0.0.1:8200)`);
  if (kind === 'vault-kv') {
    for (const name of TRANSIT_ONLY)
      if (raw[name] !== undefined)
        fail(name, 'is only used with --key-source vault-transit (the key source is vault-kv)');
  } else {
    for (const name of KV_ONLY)
      if (raw[name] !== undefined)
        fail(
          name,
          'is only used with --key-source vault-kv; for Transit use --vault-transit-mount and --vault-transit-key-prefix',
        );
  }
  checkAuth(raw, kind, fail);
}

function checkAuth(raw: KeySourceRaw, kind: string, fail: Fail): void {
  const method = raw.vaultAuth ?? 'token';
  const misplaced = (names: readonly (typeof LOGIN_ONLY)[number][], wanted: string) => {
    for (const name of names)
      if (raw[name] !== undefined)
        fail(name, `is only used with --vault-auth ${wanted} (the method is ${method}); add --vault-auth ${wanted}`);
  };
  if (method === 'token') {
    if (raw.vaultToken === undefined)
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
    if (raw.vaultRoleId === undefined && raw.vaultRoleIdFile === undefined)
      fail('vaultRoleId', 'is required for --vault-auth approle; set VAULT_ROLE_ID or --vault-role-id-file');
    if (raw.vaultRoleId !== undefined && raw.vaultRoleIdFile !== undefined)
      fail('vaultRoleIdFile', 'cannot be combined with --vault-role-id (VAULT_ROLE_ID); pick one');
    if (raw.vaultSecretId !== undefined && raw.vaultSecretIdFile !== undefined)
      fail('vaultSecretIdFile', 'cannot be combined with VAULT_SECRET_ID; pick one');
  }
  if (method === 'kubernetes' && raw.vaultK8sRole === undefined)
    fail('vaultK8sRole', "is required for --vault-auth kubernetes (the Vault role bound to the pod's service account)");
}

/** The validated key source settings as configuration. Call only after {@link checkKeySource} found no problem. */
export function toKeySource(raw: KeySourceRaw): KeySourceConfig {
  const kind = keySourceKind(raw);
  if (kind === 'local') return { kind, keyringPath: raw.keyringPath };
  const connection = {
    addr: raw.vaultAddr ?? '',
    auth: toVaultAuth(raw),
    ...(raw.vaultNamespace === undefined ? {} : { vaultNamespace: raw.vaultNamespace }),
  };
  if (kind === 'vault-kv') {
    return {
      kind,
      ...connection,
      mount: raw.vaultKvMount ?? 'secret',
      pathPrefix: raw.vaultKeyPrefix ?? 'temporal-codec/',
    };
  }
  return {
    kind,
    ...connection,
    mount: raw.vaultTransitMount ?? 'transit',
    keyPrefix: raw.vaultTransitKeyPrefix ?? 'temporal-codec-',
  };
}

/** The key cache limits given; absent ones keep the library's defaults. */
export function toKeyCache(raw: KeySourceRaw): KeyCacheConfig {
  return {
    ...(raw.keyCacheTtl === undefined ? {} : { latestTtlMs: raw.keyCacheTtl }),
    ...(raw.keyMaxAge === undefined ? {} : { versionMaxAgeMs: raw.keyMaxAge }),
    ...(raw.keyStaleIfError === undefined ? {} : { staleIfErrorMs: raw.keyStaleIfError }),
  };
}

function toVaultAuth(raw: KeySourceRaw): VaultAuthConfig {
  const mount = raw.vaultAuthMount === undefined ? {} : { mount: raw.vaultAuthMount };
  switch (raw.vaultAuth ?? 'token') {
    case 'approle': {
      const roleId = source(raw.vaultRoleId, raw.vaultRoleIdFile) ?? { value: '' };
      const secretId = source(raw.vaultSecretId, raw.vaultSecretIdFile);
      return { method: 'approle', roleId, ...(secretId === undefined ? {} : { secretId }), ...mount };
    }
    case 'kubernetes':
      return {
        method: 'kubernetes',
        role: raw.vaultK8sRole ?? '',
        jwt: { file: raw.vaultK8sJwtFile ?? KUBERNETES_SERVICE_ACCOUNT_TOKEN },
        ...mount,
      };
    default:
      return { method: 'token', token: raw.vaultToken ?? '' };
  }
}

function source(value: string | undefined, file: string | undefined): SecretSource | undefined {
  if (file !== undefined) return { file };
  return value === undefined ? undefined : { value };
}
