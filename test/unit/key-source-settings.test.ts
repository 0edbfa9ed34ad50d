import { describe, expect, it } from 'vitest';
import {
  CodecError,
  ERROR_CODES,
  KEY_SOURCE_DEFAULTS,
  keySourceFromEnv,
  openKeySource,
  readKeySourceSettings,
} from '../../codec/index.js';
import { loadExampleConfig } from '../../worker-example/config.js';

describe('the key source, read once for every program', () => {
  it('keeps its defaults in one frozen object, applied when a setting is absent', () => {
    expect(Object.isFrozen(KEY_SOURCE_DEFAULTS)).toBe(true);
    expect(keySourceFromEnv({})).toEqual({ kind: 'local', keyringPath: KEY_SOURCE_DEFAULTS.keyringPath });
    expect(keySourceFromEnv({ VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' })).toMatchObject({
      kind: 'vault-kv',
      mount: KEY_SOURCE_DEFAULTS.kvMount,
      pathPrefix: KEY_SOURCE_DEFAULTS.kvPathPrefix,
    });
    expect(
      keySourceFromEnv({ KEY_SOURCE: 'vault-transit', VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' }),
    ).toMatchObject({
      mount: KEY_SOURCE_DEFAULTS.transitMount,
      keyPrefix: KEY_SOURCE_DEFAULTS.transitKeyPrefix,
    });
  });

  it('returns every problem with the setting it belongs to, instead of throwing', () => {
    const reading = readKeySourceSettings({ keySource: 'vault-transit', vaultKvMount: 'kv', vaultTimeoutMs: '5000' });
    expect(reading.ok).toBe(false);
    expect(reading.ok ? [] : reading.problems.map((problem) => problem.setting).sort()).toEqual([
      'vaultAddr',
      'vaultKvMount',
      'vaultToken',
    ]);
    const invalid = readKeySourceSettings({ vaultRetries: 'many' });
    expect(invalid.ok ? [] : invalid.problems.map((problem) => problem.setting)).toEqual(['vaultRetries']);
  });

  it('reads request timeout and retries of Vault key sources', () => {
    const env = { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't', VAULT_TIMEOUT_MS: '1000', VAULT_RETRIES: '0' };
    expect(keySourceFromEnv(env)).toMatchObject({ timeoutMs: 1000, retries: 0 });
  });

  it('refuses, without flags, with ERR_INVALID_CONFIG naming the variable', () => {
    let caught: unknown;
    try {
      keySourceFromEnv({ VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 'secret-token', VAULT_K8S_ROLE: 'r' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect((caught as CodecError).code).toBe(ERROR_CODES.invalidConfig);
    expect((caught as CodecError).message).toContain('VAULT_K8S_ROLE');
    expect((caught as CodecError).message).not.toContain('secret-token');
  });

  it('gives the worker example Transit, AppRole and Kubernetes through the same reader', () => {
    const approle = loadExampleConfig({
      VAULT_ADDR: 'http://v:8200',
      VAULT_AUTH_METHOD: 'approle',
      VAULT_ROLE_ID: 'r',
    });
    expect(approle.keySource).toMatchObject({ kind: 'vault-kv', auth: { method: 'approle', roleId: { value: 'r' } } });
    const transit = loadExampleConfig({
      KEY_SOURCE: 'vault-transit',
      VAULT_ADDR: 'http://v:8200',
      VAULT_AUTH_METHOD: 'kubernetes',
      VAULT_K8S_ROLE: 'worker',
    });
    expect(transit.keySource).toMatchObject({ kind: 'vault-transit', auth: { method: 'kubernetes', role: 'worker' } });
    expect(() => loadExampleConfig({ KEY_SOURCE: 'vault-kv', VAULT_ADDR: 'http://v:8200' })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidConfig }),
    );
  });

  it('opens a key source described by address, path and auth method, without secrets', async () => {
    const source = openKeySource(keySourceFromEnv({ VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: 'hvs.secret' }));
    expect(source.describe()).not.toContain('hvs.secret');
    expect(source.describe()).toBe(
      `vault-kv http://127.0.0.1:1/v1/${KEY_SOURCE_DEFAULTS.kvMount}/data/${KEY_SOURCE_DEFAULTS.kvPathPrefix}<namespace> (auth token)`,
    );
    await source.close();
  });
});
