import { z } from 'zod';
import { httpUrl, integer, text } from '../config/setting-fields.js';
import { defineSetting as setting, type SettingSpec } from '../config/setting-spec.js';
import { KUBERNETES_SERVICE_ACCOUNT_TOKEN } from './auth/kubernetes-auth.js';
import { KEY_SOURCE_DEFAULTS as D, KEY_SOURCE_KINDS, VAULT_AUTH_METHODS } from './key-source.js';

// Same rules as VaultTransitClient, checked here so that a typo stops a program at start with the setting's name.
const transitMount = text.refine(
  (value) => /^[\w./-]+$/.test(value.replace(/^\/+|\/+$/g, '')),
  'must be a mount path such as transit',
);
const transitKeyPrefix = z
  .string()
  .regex(/^(?:\w[\w.@-]*)?$/, 'may hold only letters, digits and _ - . @, and must start with a letter or digit');

const code = (value: string) => `\`${value}\``;

/**
 * The key source settings every program reads the same way (the codec server, the key admin CLI, workers): where
 * keys come from and how to log in to Vault. Mounts and prefixes carry no schema default, so that a setting given
 * for the wrong key source can be told apart and refused; the defaults are applied when the configuration is built.
 */
export const KEY_SOURCE_SETTINGS = {
  keySource: setting({
    flag: 'key-source',
    env: 'KEY_SOURCE',
    schema: z.enum(KEY_SOURCE_KINDS, 'must be local, vault-kv or vault-transit'),
    help: 'local (keyring file, development), vault-kv or vault-transit (default local, or vault-kv with --vault-addr)',
    docsDefault: '`local`, or `vault-kv` when a Vault address is set',
    docs: '`local`, `vault-kv` or `vault-transit` (see [Vault modes and auth](#vault-modes-and-auth))',
  }),
  keyringPath: setting({
    flag: 'keyring',
    env: 'KEYRING_PATH',
    schema: text,
    help: `Local keyring file (default ${D.keyringPath} in the working directory)`,
    docsDefault: code(D.keyringPath),
    docs: 'local keyring file',
  }),
  vaultAddr: setting({
    flag: 'vault-addr',
    env: 'VAULT_ADDR',
    schema: httpUrl,
    help: 'Vault/OpenBao address',
    docs: 'Vault/OpenBao address; setting it alone selects `vault-kv`',
  }),
  vaultNamespace: setting({
    flag: 'vault-namespace',
    env: 'VAULT_NAMESPACE',
    schema: text,
    help: 'Vault Enterprise/OpenBao namespace',
    docs: 'Vault Enterprise / OpenBao namespace (not a Temporal namespace)',
  }),
  vaultKvMount: setting({
    flag: 'vault-kv-mount',
    env: 'VAULT_KV_MOUNT',
    schema: text,
    help: `vault-kv: KV v2 mount (default ${D.kvMount})`,
    docsDefault: code(D.kvMount),
    docs: '`vault-kv`: KV v2 mount',
  }),
  vaultKeyPrefix: setting({
    flag: 'vault-key-prefix',
    env: 'VAULT_KEY_PREFIX',
    schema: z.string(),
    help: `vault-kv: path prefix of the per-namespace key secrets (default ${D.kvPathPrefix})`,
    docsDefault: code(D.kvPathPrefix),
    docs: '`vault-kv`: keys live at `<mount>/data/<prefix><namespace>`',
  }),
  vaultTransitMount: setting({
    flag: 'vault-transit-mount',
    env: 'VAULT_TRANSIT_MOUNT',
    schema: transitMount,
    help: `vault-transit: Transit mount (default ${D.transitMount})`,
    docsDefault: code(D.transitMount),
    docs: '`vault-transit`: Transit mount',
  }),
  vaultTransitKeyPrefix: setting({
    flag: 'vault-transit-key-prefix',
    env: 'VAULT_TRANSIT_KEY_PREFIX',
    schema: transitKeyPrefix,
    help: `vault-transit: prefix of the per-namespace Transit key names (default ${D.transitKeyPrefix})`,
    docsDefault: code(D.transitKeyPrefix),
    docs: '`vault-transit`: keys are `<mount>/keys/<prefix><namespace>` (letters, digits, `_ - . @`)',
  }),
  vaultAuth: setting({
    flag: 'vault-auth',
    env: 'VAULT_AUTH_METHOD',
    schema: z.enum(VAULT_AUTH_METHODS, 'must be token, approle or kubernetes'),
    help: 'How to log in to Vault: token (default, VAULT_TOKEN), approle or kubernetes',
    docsDefault: '`token`',
    docs: 'how to log in to Vault: `token`, `approle` or `kubernetes`',
  }),
  vaultToken: setting({
    env: 'VAULT_TOKEN',
    schema: text,
    help: 'Vault token for --vault-auth token (environment only)',
    docs: '`token`: the Vault token (environment only, so it never shows in `ps`)',
  }),
  vaultAuthMount: setting({
    flag: 'vault-auth-mount',
    env: 'VAULT_AUTH_MOUNT',
    schema: text,
    help: 'approle/kubernetes: auth mount (default approle or kubernetes)',
    docsDefault: '`approle` / `kubernetes`',
    docs: '`approle`, `kubernetes`: the auth mount',
  }),
  vaultRoleId: setting({
    flag: 'vault-role-id',
    env: 'VAULT_ROLE_ID',
    schema: text,
    help: 'approle: role id',
    docs: '`approle`: role id',
  }),
  vaultRoleIdFile: setting({
    flag: 'vault-role-id-file',
    env: 'VAULT_ROLE_ID_FILE',
    schema: text,
    help: 'approle: file holding the role id (read at each login)',
    docs: '`approle`: file holding the role id (instead of the above)',
  }),
  vaultSecretId: setting({
    env: 'VAULT_SECRET_ID',
    schema: text,
    help: 'approle: secret id (environment only)',
    docs: '`approle`: secret id (environment only: flags show in `ps`)',
  }),
  vaultSecretIdFile: setting({
    flag: 'vault-secret-id-file',
    env: 'VAULT_SECRET_ID_FILE',
    schema: text,
    help: 'approle: file holding the secret id (read at each login, so it can rotate)',
    docs: '`approle`: file holding the secret id, re-read at each login (instead of the above)',
  }),
  vaultK8sRole: setting({
    flag: 'vault-k8s-role',
    env: 'VAULT_K8S_ROLE',
    schema: text,
    help: "kubernetes: Vault role bound to the pod's service account",
    docs: "`kubernetes`: the Vault role bound to the pod's service account",
  }),
  vaultK8sJwtFile: setting({
    flag: 'vault-k8s-jwt-file',
    env: 'VAULT_K8S_JWT_FILE',
    schema: text,
    help: `kubernetes: service-account token file (default ${KUBERNETES_SERVICE_ACCOUNT_TOKEN})`,
    docsDefault: code(KUBERNETES_SERVICE_ACCOUNT_TOKEN),
    docs: '`kubernetes`: service-account token file, re-read at each login',
  }),
  vaultTimeoutMs: setting({
    flag: 'vault-timeout-ms',
    env: 'VAULT_TIMEOUT_MS',
    schema: integer(0, 3_600_000),
    help: 'Per-attempt Vault request timeout in milliseconds',
    docsDefault: '`5000`',
    docs: 'Vault key sources: per-attempt request timeout, in milliseconds',
  }),
  vaultRetries: setting({
    flag: 'vault-retries',
    env: 'VAULT_RETRIES',
    schema: integer(0, 10),
    help: 'Retries of a failed Vault request (network errors, 5xx)',
    docsDefault: '`3`',
    docs: 'Vault key sources: retries of a failed request (network errors, 5xx)',
  }),
} as const satisfies Record<string, SettingSpec>;

/** Name of a setting in {@link KEY_SOURCE_SETTINGS}. */
export type KeySourceSettingName = keyof typeof KEY_SOURCE_SETTINGS;
