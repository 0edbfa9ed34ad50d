import { CodecError, ERROR_CODES } from '../errors.js';
import { deepFreeze } from '../config/deep-freeze.js';
import { settingLabel, settingValues, type SettingProblem } from '../config/setting-spec.js';
import type { SecretSource } from './auth/secret-source.js';
import type { VaultAuthConfig } from './auth/create-vault-auth.js';
import { KUBERNETES_SERVICE_ACCOUNT_TOKEN } from './auth/kubernetes-auth.js';
import { KEY_SOURCE_DEFAULTS, type KeySourceConfig } from './key-source.js';
import { KEY_SOURCE_SETTINGS, type KeySourceSettingName } from './key-source-settings.js';
import { checkKeySource, keySourceKind, type KeySourceValues } from './key-source-rules.js';

/** The outcome of {@link readKeySourceSettings}: the configuration, or every problem found. */
export type KeySourceReading =
  | { readonly ok: true; readonly config: KeySourceConfig }
  | { readonly ok: false; readonly problems: readonly SettingProblem<KeySourceSettingName>[] };

/**
 * Validates the key source settings (raw strings from flags or the environment, keyed by their name in
 * {@link KEY_SOURCE_SETTINGS}) one by one and then together, and builds the frozen configuration. Settings meant
 * for another key source or auth method are refused rather than ignored (see `checkKeySource`). Pure.
 */
export function readKeySourceSettings(
  values: Readonly<Partial<Record<KeySourceSettingName, string | boolean>>>,
): KeySourceReading {
  const problems: SettingProblem<KeySourceSettingName>[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(KEY_SOURCE_SETTINGS) as [
    KeySourceSettingName,
    (typeof KEY_SOURCE_SETTINGS)[KeySourceSettingName],
  ][]) {
    const raw = values[name];
    if (raw === undefined) continue;
    const result = spec.schema.safeParse(raw);
    if (result.success) parsed[name] = result.data;
    else for (const issue of result.error.issues) problems.push({ setting: name, message: issue.message });
  }
  // Cross-field rules read the kind and auth method; with one of those invalid they would only add noise.
  if (problems.length > 0) return { ok: false, problems };
  const checked = parsed as KeySourceValues;
  checkKeySource(checked, (setting, message) => problems.push({ setting, message }));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: deepFreeze(toKeySource(checked)) };
}

/**
 * Reads the key source from environment variables alone, for programs with no flags (workers). The variables are
 * the codec server's, so one environment file configures both.
 *
 * @throws CodecError `ERR_INVALID_CONFIG` naming each variable to fix (never its value).
 */
export function keySourceFromEnv(env: Readonly<Record<string, string | undefined>>): KeySourceConfig {
  const reading = readKeySourceSettings(settingValues(KEY_SOURCE_SETTINGS, {}, env));
  if (reading.ok) return reading.config;
  const lines = reading.problems.map(({ setting, message }) => `  - ${KEY_SOURCE_SETTINGS[setting].env}: ${message}`);
  throw new CodecError(ERROR_CODES.invalidConfig, ['Invalid key source configuration:', ...lines].join('\n'));
}

/** How a problem names its setting, for messages: `--flag (VARIABLE)`. */
export function keySourceSettingLabel(setting: KeySourceSettingName): string {
  return settingLabel(KEY_SOURCE_SETTINGS[setting]);
}

function toKeySource(values: KeySourceValues): KeySourceConfig {
  const kind = keySourceKind(values);
  if (kind === 'local') return { kind, keyringPath: values.keyringPath ?? KEY_SOURCE_DEFAULTS.keyringPath };
  const connection = {
    addr: values.vaultAddr ?? '',
    auth: toVaultAuth(values),
    ...(values.vaultNamespace === undefined ? {} : { vaultNamespace: values.vaultNamespace }),
    ...(values.vaultTimeoutMs === undefined ? {} : { timeoutMs: values.vaultTimeoutMs }),
    ...(values.vaultRetries === undefined ? {} : { retries: values.vaultRetries }),
  };
  if (kind === 'vault-kv') {
    return {
      kind,
      ...connection,
      mount: values.vaultKvMount ?? KEY_SOURCE_DEFAULTS.kvMount,
      pathPrefix: values.vaultKeyPrefix ?? KEY_SOURCE_DEFAULTS.kvPathPrefix,
    };
  }
  return {
    kind,
    ...connection,
    mount: values.vaultTransitMount ?? KEY_SOURCE_DEFAULTS.transitMount,
    keyPrefix: values.vaultTransitKeyPrefix ?? KEY_SOURCE_DEFAULTS.transitKeyPrefix,
  };
}

function toVaultAuth(values: KeySourceValues): VaultAuthConfig {
  const mount = values.vaultAuthMount === undefined ? {} : { mount: values.vaultAuthMount };
  switch (values.vaultAuth ?? 'token') {
    case 'approle': {
      const roleId = source(values.vaultRoleId, values.vaultRoleIdFile) ?? { value: '' };
      const secretId = source(values.vaultSecretId, values.vaultSecretIdFile);
      return { method: 'approle', roleId, ...(secretId === undefined ? {} : { secretId }), ...mount };
    }
    case 'kubernetes':
      return {
        method: 'kubernetes',
        role: values.vaultK8sRole ?? '',
        jwt: { file: values.vaultK8sJwtFile ?? KUBERNETES_SERVICE_ACCOUNT_TOKEN },
        ...mount,
      };
    default:
      return { method: 'token', token: values.vaultToken ?? '' };
  }
}

function source(value: string | undefined, file: string | undefined): SecretSource | undefined {
  if (file !== undefined) return { file };
  return value === undefined ? undefined : { value };
}
