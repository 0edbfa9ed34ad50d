import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CodecError,
  ERROR_CODES,
  SAMPLES_VAULT_KEY_FIELD,
  samplesKeysFromVault,
  VaultClient,
} from '../../codec/index.js';
import { startCountingProxy, type CountingProxy } from '../../harness/counting-proxy.js';
import { uniquePrefix } from '../support/vault-fixtures.js';

// The samples keys' Vault source against OpenBao: one KV v2 secret per key id, read once per key id however many
// callers ask at once, and the key source's typed errors.

const vault = inject('vault');
const folder = `${uniquePrefix('samples-vault')}keys`;
const KEY = randomBytes(32);
let proxy: CountingProxy;

function client(endpoint: string, token = vault.token): VaultClient {
  return new VaultClient({ endpoint, token, retries: 0, timeoutMs: 5000 });
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof CodecError ? err.code : String(err);
  }
}

beforeAll(async () => {
  const admin = client(vault.addr);
  await admin.request('POST', `/secret/data/${folder}/hex-key`, {
    data: { [SAMPLES_VAULT_KEY_FIELD]: KEY.toString('hex') },
  });
  await admin.request('POST', `/secret/data/${folder}/short-key`, {
    data: { [SAMPLES_VAULT_KEY_FIELD]: randomBytes(16).toString('base64') },
  });
  await admin.request('POST', `/secret/data/${folder}/no-field`, { data: { other: KEY.toString('base64') } });
  proxy = await startCountingProxy(vault.addr);
});

afterAll(async () => {
  await proxy.close();
});

describe('samples keys from Vault KV v2 (OpenBao)', () => {
  it('reads a key id once for 50 concurrent and later callers, and hands each its own copy', async () => {
    const source = samplesKeysFromVault({ client: client(proxy.url), path: `secret/${folder}` });
    proxy.reset();
    const keys = await Promise.all(Array.from({ length: 50 }, () => source.key('hex-key')));
    keys.push(await source.key('hex-key'));
    expect(proxy.count()).toBe(1);
    for (const key of keys) expect(key.equals(KEY)).toBe(true);
    keys[0]!.fill(0);
    expect((await source.key('hex-key')).equals(KEY)).toBe(true);
    source.close();
  });

  it('answers ERR_UNKNOWN_KEY for a missing secret or field, ERR_INVALID_KEY_MATERIAL for a short key', async () => {
    const source = samplesKeysFromVault({ client: client(vault.addr), path: `secret/${folder}` });
    expect(await codeOf(source.key('absent'))).toBe(ERROR_CODES.unknownKey);
    expect(await codeOf(source.key('no-field'))).toBe(ERROR_CODES.unknownKey);
    expect(await codeOf(source.key('short-key'))).toBe(ERROR_CODES.invalidKeyMaterial);
    source.close();
  });

  it('answers ERR_KEY_SOURCE_DENIED for a token that cannot read, ERR_KEY_SOURCE_UNAVAILABLE when Vault is down', async () => {
    const denied = samplesKeysFromVault({ client: client(vault.addr, 'not-a-token'), path: `secret/${folder}` });
    expect(await codeOf(denied.key('hex-key'))).toBe(ERROR_CODES.keySourceDenied);
    const down = samplesKeysFromVault({ client: client(proxy.url), path: `secret/${folder}` });
    proxy.setMode('refuse');
    try {
      expect(await codeOf(down.key('hex-key'))).toBe(ERROR_CODES.keySourceUnavailable);
    } finally {
      proxy.setMode('forward');
    }
  });

  it('refuses a path without a folder (ERR_INVALID_CONFIG)', () => {
    expect(() => samplesKeysFromVault({ client: client(vault.addr), path: 'secret' })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidConfig }),
    );
  });
});
