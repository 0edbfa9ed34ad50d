import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KeySummary, RotationOutcome } from '../../admin/commands.js';
import { EXIT_CODES } from '../../admin/exit-codes.js';
import type { KeyDescription } from '../../admin/key-admin.js';
import { runCli, type CliDeps } from '../../admin/run-cli.js';
import {
  CachingKeyProvider,
  EncryptionCodec,
  ERROR_CODES,
  METADATA_KEYS,
  VaultClient,
  VaultKvStore,
  VaultTransitKeyProvider,
  type KeyProvider,
} from '../../codec/index.js';
import { startCountingProxy } from '../../harness/counting-proxy.js';
import { jsonPayload, jsonValue, uniquePrefix } from '../support/vault-fixtures.js';

const vault = inject('vault');
const kvPrefix = uniquePrefix('admin');
const transitMount = `transit-admin-${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
const providers: KeyProvider[] = [];

const SOURCES = {
  'vault-kv': ['--source', 'vault-kv', '--vault-key-prefix', kvPrefix],
  'vault-transit': ['--source', 'vault-transit', '--vault-transit-mount', transitMount],
} as const;
type Source = keyof typeof SOURCES;

async function cli(
  args: readonly string[],
  env: CliDeps['env'] = { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token },
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    env,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
  });
  const stdout = out.join('');
  return { code, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) as CliJson };
}

/** Runs the CLI on `source` and expects exit 0, showing its stderr otherwise. */
async function ok(source: Source, ...args: string[]) {
  const result = await cli([...args, ...SOURCES[source]]);
  expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
  return result;
}

function keyProvider(source: Source): KeyProvider {
  const client = new VaultClient({ endpoint: vault.addr, token: vault.token, retries: 1, backoffMs: 10 });
  // No caching across the CLI's changes: each decode below asks Vault, as a worker does once its caches age out.
  const provider =
    source === 'vault-kv'
      ? new CachingKeyProvider(new VaultKvStore({ client, pathPrefix: kvPrefix }), {
          latestTtlMs: 0,
          versionMaxAgeMs: 0,
        })
      : new VaultTransitKeyProvider({ client, mount: transitMount, dataKeyMaxAgeMs: 1, unwrappedKeyMaxAgeMs: 1 });
  providers.push(provider);
  return provider;
}

/** The union of the CLI's JSON documents, loosely: each test reads the fields of its command. */
interface CliJson {
  readonly kind: string;
  readonly created?: boolean;
  readonly description: KeyDescription;
  readonly keys: readonly KeySummary[];
  readonly results: readonly RotationOutcome[];
}

const version = (p: Payload | undefined) => new TextDecoder().decode(p?.metadata?.[METADATA_KEYS.keyVersion]);

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
  rmSync(dir, { recursive: true, force: true });
});

describe.each(Object.keys(SOURCES) as Source[])('temporal-codec keys --source %s against OpenBao', (source) => {
  it('creates, rotates, lists and describes keys, with creation times, states and the encrypting version', async () => {
    const created = (await ok(source, 'keys', 'create', '-n', 'orders', '--json')).json();
    expect(created).toMatchObject({
      kind: 'key',
      created: true,
      description: { keyId: 'orders', source, encryptingVersion: 1 },
    });
    expect((await cli(['keys', 'create', '-n', 'orders', ...SOURCES[source]])).code).toBe(EXIT_CODES.refused);
    await ok(source, 'keys', 'rotate', '-n', 'orders');
    const described = (await ok(source, 'keys', 'describe', '-n', 'orders', '--json')).json().description;
    expect(described.encryptingVersion).toBe(2);
    expect(described.versions.map((v) => [v.version, v.state])).toEqual([
      [1, 'active'],
      [2, 'active'],
    ]);
    for (const v of described.versions) expect(Date.now() - Date.parse(v.createdAt)).toBeLessThan(600_000);
    const table = (await ok(source, 'keys', 'describe', '-n', 'orders')).stdout;
    expect(table).toMatch(/\n2\s+\S+\s+active\s+encrypts\n/);
    const list = (await ok(source, 'keys', 'list', '--json')).json();
    expect(list.keys).toContainEqual(expect.objectContaining({ keyId: 'orders', encryptingVersion: 2, versions: 2 }));
  });

  it('deactivates a version (still decrypts, never encrypts), reactivates it, and destroys it with --yes only', async () => {
    const ns = 'lifecycle';
    await ok(source, 'keys', 'create', '-n', ns);
    const codec = new EncryptionCodec({ namespace: ns, keyProvider: keyProvider(source), decryptKeyMaxAgeMs: 0 });
    const [v1] = await codec.encode([jsonPayload('one')]);
    await ok(source, 'keys', 'rotate', '-n', ns);
    await ok(source, 'keys', 'rotate', '-n', ns);
    const [v3] = await codec.encode([jsonPayload('three')]);
    expect([version(v1), version(v3)]).toEqual(['1', '3']);

    await ok(source, 'keys', 'deactivate', '-n', ns, '--version', '1');
    expect(jsonValue((await codec.decode([v1!]))[0])).toBe('one');
    expect(version((await codec.encode([jsonPayload('x')]))[0])).toBe('3');
    await ok(source, 'keys', 'activate', '-n', ns, '--version', '1');

    const refused = await cli(['keys', 'destroy', '-n', ns, '--version', '1', ...SOURCES[source]]);
    expect(refused.code).toBe(EXIT_CODES.refused);
    expect(jsonValue((await codec.decode([v1!]))[0])).toBe('one');
    await ok(source, 'keys', 'destroy', '-n', ns, '--version', '1', '--yes');
    const settled = await codec.decodeSettled([v1!, v3!]);
    expect(settled.map((r) => (r.ok ? jsonValue(r.payload) : r.error.code))).toEqual([
      ERROR_CODES.keyVersionDestroyed,
      'three',
    ]);
    const states = (await ok(source, 'keys', 'describe', '-n', ns, '--json'))
      .json()
      .description.versions.map((v) => v.state);
    expect(states).toEqual(['destroyed', 'active', 'active']);
    expect((await cli(['keys', 'activate', '-n', ns, '--version', '1', ...SOURCES[source]])).code).toBe(
      EXIT_CODES.refused,
    );
  });

  it('exits 2 for an unknown key or version', async () => {
    expect((await cli(['keys', 'describe', '-n', 'ghost', ...SOURCES[source]])).code).toBe(EXIT_CODES.notFound);
    expect((await cli(['keys', 'rotate', '-n', 'ghost', ...SOURCES[source]])).code).toBe(EXIT_CODES.notFound);
    await ok(source, 'keys', 'create', '-n', 'few-versions');
    expect((await cli(['keys', 'deactivate', '-n', 'few-versions', '--version', '9', ...SOURCES[source]])).code).toBe(
      EXIT_CODES.notFound,
    );
  });

  it('exits 3 with a hint when the token lacks permission', async () => {
    const res = await fetch(`${vault.addr}/v1/auth/token/create`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.token },
      body: JSON.stringify({ policies: ['default'], ttl: '5m' }),
    });
    const weak = ((await res.json()) as { auth: { client_token: string } }).auth.client_token;
    const result = await cli(['keys', 'rotate', '-n', 'orders', ...SOURCES[source]], {
      VAULT_ADDR: vault.addr,
      VAULT_TOKEN: weak,
    });
    expect(result.code).toBe(EXIT_CODES.denied);
    expect(result.stderr).toContain('key-admin.hcl');
  });

  it('exits 4 with a hint when Vault is unreachable', async () => {
    const proxy = await startCountingProxy(vault.addr);
    proxy.setMode('refuse');
    try {
      const result = await cli(['keys', 'list', ...SOURCES[source]], {
        VAULT_ADDR: proxy.url,
        VAULT_TOKEN: vault.token,
      });
      expect(result.code).toBe(EXIT_CODES.unreachable);
      expect(result.stderr).toContain('reachable');
    } finally {
      await proxy.close();
    }
  });
});

describe('temporal-codec keys on Vault Transit specifics', () => {
  it('refuses out-of-order deactivation and destruction with exit 5 and names the version to act on first', async () => {
    const t = SOURCES['vault-transit'];
    await ok('vault-transit', 'keys', 'create', '-n', 'ordered');
    await ok('vault-transit', 'keys', 'rotate', '-n', 'ordered');
    await ok('vault-transit', 'keys', 'rotate', '-n', 'ordered');
    const skip = await cli(['keys', 'deactivate', '-n', 'ordered', '--version', '2', ...t]);
    expect(skip.code).toBe(EXIT_CODES.refused);
    expect(skip.stderr).toContain('deactivate version 1 first');
    const newest = await cli(['keys', 'destroy', '-n', 'ordered', '--version', '3', '--yes', ...t]);
    expect(newest.code).toBe(EXIT_CODES.refused);
    expect(newest.stderr).toContain('rotate first');
  });

  it('create --auto-rotate and rotate-if-older hand the rotation period to Vault', async () => {
    const created = (
      await ok('vault-transit', 'keys', 'create', '-n', 'auto', '--auto-rotate', '30d', '--json')
    ).json();
    expect(created.description.autoRotatePeriodMs).toBe(30 * 86_400_000);
    const result = (
      await ok('vault-transit', 'keys', 'rotate-if-older', '-n', 'auto', '--max-age', '7d', '--json')
    ).json();
    expect(result.results).toEqual([
      expect.objectContaining({ keyId: 'auto', due: false, rotated: false, autoRotatePeriodMs: 7 * 86_400_000 }),
    ]);
    expect((await ok('vault-transit', 'keys', 'describe', '-n', 'auto')).stdout).toContain(
      'Vault rotates it every 1w.',
    );
  });

  it('logs in with AppRole from flags and a secret-id file', async () => {
    const mount = `approle-admin-${randomBytes(3).toString('hex')}`;
    const root = (method: string, path: string, body?: unknown) =>
      fetch(`${vault.addr}/v1/${path}`, {
        method,
        headers: { 'x-vault-token': vault.token },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (r) => (r.status === 204 ? undefined : ((await r.json()) as { data: Record<string, string> })));
    await root('POST', `sys/auth/${mount}`, { type: 'approle' });
    const policy = [
      `path "${transitMount}/keys" { capabilities = ["list"] }`,
      `path "${transitMount}/keys/temporal-codec-*" { capabilities = ["read"] }`,
    ].join('\n');
    await root('POST', `sys/policies/acl/${mount}`, { policy });
    await root('POST', `auth/${mount}/role/admin`, { token_policies: [mount], token_ttl: '5m' });
    const roleId = (await root('GET', `auth/${mount}/role/admin/role-id`))!.data.role_id!;
    const secretFile = join(dir, 'secret-id');
    writeFileSync(secretFile, (await root('POST', `auth/${mount}/role/admin/secret-id`))!.data.secret_id!);
    const args = [
      '--vault-auth',
      'approle',
      '--vault-auth-mount',
      mount,
      '--vault-role-id',
      roleId,
      '--vault-secret-id-file',
      secretFile,
    ];
    const result = await cli(['keys', 'list', ...SOURCES['vault-transit'], ...args], { VAULT_ADDR: vault.addr });
    expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
    writeFileSync(secretFile, 'wrong');
    const refused = await cli(['keys', 'list', ...SOURCES['vault-transit'], ...args], { VAULT_ADDR: vault.addr });
    expect(refused.code, refused.stderr).toBe(EXIT_CODES.denied);
  });
});
