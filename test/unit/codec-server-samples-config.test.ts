import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../codec/index.js';
import { loadConfig } from '../../codec-server/config.js';

function configError(env: Record<string, string>, argv: string[]): string {
  try {
    loadConfig(env, argv);
  } catch (err) {
    expect((err as { code?: string }).code).toBe(ERROR_CODES.invalidConfig);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('codec server samples profile settings', () => {
  it('is off by default', () => {
    expect(loadConfig({}, []).samples).toBeUndefined();
  });

  it('reads a keys file, the serialization and namespace=keyId pairs from flags or environment', () => {
    const config = loadConfig({ CODEC_SAMPLES_KEY_IDS: 'orders=k1,orders=k2,payments=k3' }, [
      '--samples-keys-file',
      'samples-keys.json',
      '--samples-serialization',
      'length-delimited',
    ]);
    expect(config.samples).toEqual({
      keys: { file: 'samples-keys.json' },
      serialization: 'length-delimited',
      namespaceKeyIds: { orders: ['k1', 'k2'], payments: ['k3'] },
    });
    const fromEnv = loadConfig({ CODEC_SAMPLES_KEYS_FILE: 'keys.json' }, []);
    expect(fromEnv.samples).toEqual({ keys: { file: 'keys.json' }, serialization: 'plain' });
  });

  it('reads a Vault path with a Vault key source', () => {
    const config = loadConfig({ VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 't' }, [
      '--samples-keys-vault-path',
      'secret/temporal-samples-keys',
    ]);
    expect(config.samples?.keys).toEqual({ vaultPath: 'secret/temporal-samples-keys' });
  });

  it('refuses a Vault path with the local keyring, both places at once, bad pairs and pairs without keys', () => {
    expect(configError({}, ['--samples-keys-vault-path', 'secret/samples'])).toMatch(/--samples-keys-vault-path/);
    const both = ['--samples-keys-file', 'k.json', '--samples-keys-vault-path', 'secret/samples'];
    expect(configError({ VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 't' }, both)).toMatch(
      /--samples-keys-vault-path/,
    );
    expect(configError({}, ['--samples-keys-file', 'k.json', '--samples-key-ids', 'orders'])).toMatch(
      /--samples-key-ids/,
    );
    expect(configError({}, ['--samples-key-ids', 'orders=k1'])).toMatch(/--samples-key-ids/);
    expect(configError({}, ['--samples-keys-vault-path', 'secret'])).toMatch(/--samples-keys-vault-path/);
    expect(configError({}, ['--samples-serialization', 'json'])).toMatch(/--samples-serialization/);
  });
});
