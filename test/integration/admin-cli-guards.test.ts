import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_ERROR_CODES } from '../../admin/admin-error.js';
import { EXIT_CODES } from '../../admin/exit-codes.js';
import type { RetirePlan } from '../../admin/retire/retire-plan.js';
import {
  CachingKeyProvider,
  EncryptionCodec,
  METADATA_KEYS,
  VaultClient,
  VaultKvStore,
  VaultTransitKeyProvider,
  type KeyProvider,
} from '../../codec/index.js';
import { runAdmin } from '../support/admin-cli.js';
import { jsonPayload, jsonValue, uniquePrefix } from '../support/vault-fixtures.js';

// The encrypting-version guards of keys destroy / deactivate against OpenBao, where the hazard is real: KV silently
// falls back to an older version when the newest is destroyed.
const vault = inject('vault');
const env = { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token };
const kvPrefix = uniquePrefix('guards');
const transitMount = `transit-guards-${randomBytes(4).toString('hex')}`;
const providers: KeyProvider[] = [];
const SOURCES = {
  'vault-kv': ['--source', 'vault-kv', '--vault-key-prefix', kvPrefix],
  'vault-transit': ['--source', 'vault-transit', '--vault-transit-mount', transitMount],
} as const;

const admin = (source: keyof typeof SOURCES, ...args: string[]) => runAdmin([...args, ...SOURCES[source]], env);
const version = (p: { metadata?: Record<string, Uint8Array> | null } | undefined) =>
  Number(new TextDecoder().decode(p?.metadata?.[METADATA_KEYS.keyVersion]));

function codec(source: keyof typeof SOURCES, namespace: string): EncryptionCodec {
  const client = new VaultClient({ endpoint: vault.addr, token: vault.token, retries: 1, backoffMs: 10 });
  const provider =
    source === 'vault-kv'
      ? new CachingKeyProvider(new VaultKvStore({ client, pathPrefix: kvPrefix }), {
          latestTtlMs: 0,
          versionMaxAgeMs: 0,
        })
      : new VaultTransitKeyProvider({ client, mount: transitMount, dataKeyMaxAgeMs: 1, unwrappedKeyMaxAgeMs: 1 });
  providers.push(provider);
  return new EncryptionCodec({ namespace, keyProvider: provider, decryptKeyMaxAgeMs: 0 });
}

beforeAll(async () => {
  const res = await fetch(`${vault.addr}/v1/sys/mounts/${transitMount}`, {
    method: 'POST',
    headers: { 'x-vault-token': vault.token },
    body: JSON.stringify({ type: 'transit' }),
  });
  expect(res.status).toBe(204);
});
afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
});

describe('keys destroy / deactivate on OpenBao KV: the encrypting version', () => {
  it('refuses to destroy the encrypting version, which would silently move encryption back to version 1', async () => {
    const ns = 'kv-encrypting';
    await admin('vault-kv', 'keys', 'create', '-n', ns);
    await admin('vault-kv', 'keys', 'rotate', '-n', ns);
    const kv = codec('vault-kv', ns);
    const [sealed] = await kv.encode([jsonPayload('under v2')]);
    expect(version(sealed)).toBe(2);

    const dry = await admin('vault-kv', 'keys', 'destroy', '-n', ns, '--version', '2', '--dry-run', '--json');
    expect(dry.json<{ plan: RetirePlan }>().plan).toMatchObject({
      proceeds: false,
      changes: ['version 2: active -> destroyed', 'encryption: version 2 -> version 1'],
      refusals: [{ code: ADMIN_ERROR_CODES.keyVersionEncrypting }],
    });
    const refused = await admin('vault-kv', 'keys', 'destroy', '-n', ns, '--version', '2', '--yes', '--json');
    expect(refused.code).toBe(EXIT_CODES.refused);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe(ADMIN_ERROR_CODES.keyVersionEncrypting);
    expect(jsonValue((await kv.decode([sealed!]))[0])).toBe('under v2');

    // What the guard prevents, done on purpose: encryption falls back to version 1 and v2 payloads are gone.
    expect((await admin('vault-kv', 'keys', 'destroy', '-n', ns, '--version', '2', '--yes', '--force')).code).toBe(0);
    expect(version((await kv.encode([jsonPayload('after')]))[0])).toBe(1);
    await expect(kv.decode([sealed!])).rejects.toMatchObject({ code: 'ERR_KEY_VERSION_DESTROYED' });
  });

  it('refuses to deactivate the last active version, which would stop every encode', async () => {
    const ns = 'kv-last-active';
    await admin('vault-kv', 'keys', 'create', '-n', ns);
    const refused = await admin('vault-kv', 'keys', 'deactivate', '-n', ns, '--version', '1', '--json');
    expect(refused.code).toBe(EXIT_CODES.refused);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe(ADMIN_ERROR_CODES.keyVersionEncrypting);
    expect(version((await codec('vault-kv', ns).encode([jsonPayload('still encrypts')]))[0])).toBe(1);
  });
});

describe('keys destroy on OpenBao Transit: the newest version', () => {
  it('refuses to destroy the newest version before Transit is asked; --dry-run shows the thresholds', async () => {
    const ns = 'transit-newest';
    await admin('vault-transit', 'keys', 'create', '-n', ns);
    await admin('vault-transit', 'keys', 'rotate', '-n', ns);
    const refused = await admin('vault-transit', 'keys', 'destroy', '-n', ns, '--version', '2', '--yes', '--json');
    expect(refused.json<{ error: { code: string } }>().error.code).toBe(ADMIN_ERROR_CODES.keyVersionEncrypting);
    const dry = await admin('vault-transit', 'keys', 'destroy', '-n', ns, '--version', '1', '--dry-run', '--json');
    expect(dry.json<{ plan: RetirePlan }>().plan).toMatchObject({
      proceeds: true,
      changes: [
        'version 1: active -> destroyed',
        "min_decryption_version -> 2; versions up to 1 trimmed from Vault's storage",
      ],
    });
    const described = await admin('vault-transit', 'keys', 'describe', '-n', ns, '--json');
    const states = described.json<{ description: { versions: Array<{ state: string }> } }>().description.versions;
    expect(states.map((v) => v.state)).toEqual(['active', 'active']);
  });
});
