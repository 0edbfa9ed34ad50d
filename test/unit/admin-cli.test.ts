import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli, type CliDeps } from '../../admin/run-cli.js';
import { EXIT_CODES } from '../../admin/exit-codes.js';
import type { KeyAdmin } from '../../admin/key-admin.js';
import {
  CachingKeyProvider,
  CodecError,
  EncryptionCodec,
  ERROR_CODES,
  LocalKeyring,
  type CodecErrorCode,
} from '../../codec/index.js';

const dir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const keyring = () => join(dir, `keyring-${++files}.json`);

async function cli(args: string[], extra: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    env: {},
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    ...extra,
  });
  const stdout = out.join('');
  return { code, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) as Record<string, unknown> };
}

describe('temporal-codec usage', () => {
  it('prints help with exit 0', async () => {
    for (const args of [[], ['--help'], ['keys']]) {
      const result = await cli(args);
      expect(result.code).toBe(EXIT_CODES.ok);
      expect(result.stdout).toContain('Usage: temporal-codec keys <command>');
    }
  });

  it.each([
    [['nope'], 'Unknown command'],
    [['keys', 'explode', '-n', 'ns'], 'Unknown command'],
    [['keys', 'rotate'], '--namespace'],
    [['keys', 'destroy', '-n', 'ns'], '--version'],
    [['keys', 'destroy', '-n', 'ns', '--version', '0'], 'positive integer'],
    [['keys', 'rotate', '-n', 'ns', '--version', '2'], '--version is not used'],
    [['keys', 'rotate', '-n', 'a/b'], 'Invalid namespace'],
    [['keys', 'rotate-if-older', '-n', 'ns'], '--max-age'],
    [['keys', 'rotate-if-older', '-n', 'ns', '--max-age', '30 days'], 'Invalid duration'],
    [['keys', 'rotate', '-n', 'ns', '--bogus'], "Unknown option '--bogus'"],
    [['keys', 'rotate', '-n', 'ns', '--source', 'vault'], '--source (KEY_SOURCE): must be'],
    [['keys', 'rotate', '-n', 'ns', '--key-source', 'vault'], '--key-source (KEY_SOURCE): must be'],
    [['keys', 'rotate', '-n', 'ns', '--source', 'vault-kv', '--vault-transit-mount', 't'], 'vault-transit'],
    [['keys', 'rotate', '-n', 'ns', '--source', 'vault-kv'], 'VAULT_ADDR'],
    [['keys', 'rotate', '-n', 'ns', '--source', 'vault-transit', '--vault-addr', 'http://x'], 'VAULT_TOKEN'],
    [['keys', 'create', '-n', 'ns', '--auto-rotate', '30d'], 'vault-transit'],
  ])('exits 1 without touching a key source for %j', async (args, message) => {
    const open = vi.fn();
    const result = await cli(args, { openKeyAdmin: open });
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain(message);
    expect(open).not.toHaveBeenCalled();
  });

  it('reads the key source from the environment when flags leave it out; a flag wins', async () => {
    const seen: string[] = [];
    const open = (cmd: Parameters<NonNullable<CliDeps['openKeyAdmin']>>[0]): KeyAdmin => {
      seen.push(JSON.stringify(cmd.source));
      throw new CodecError(ERROR_CODES.keySourceUnavailable, 'stop here');
    };
    const env = {
      KEY_SOURCE: 'vault-transit',
      VAULT_ADDR: 'http://vault:8200',
      VAULT_TOKEN: 't',
      VAULT_TRANSIT_MOUNT: 'kek',
    };
    await cli(['keys', 'describe', '-n', 'ns'], { env, openKeyAdmin: open });
    await cli(['keys', 'describe', '-n', 'ns', '--vault-transit-mount', 'other'], { env, openKeyAdmin: open });
    expect(JSON.parse(seen[0]!)).toMatchObject({
      kind: 'vault-transit',
      addr: 'http://vault:8200',
      auth: { method: 'token', token: 't' },
      mount: 'kek',
      keyPrefix: 'temporal-codec-',
    });
    expect(JSON.parse(seen[1]!)).toMatchObject({ mount: 'other' });
  });

  it('takes AppRole and Kubernetes credentials from files or the environment, never a secret from a flag', async () => {
    const sources: unknown[] = [];
    const open = (cmd: Parameters<NonNullable<CliDeps['openKeyAdmin']>>[0]): KeyAdmin => {
      sources.push(cmd.source);
      throw new CodecError(ERROR_CODES.keySourceUnavailable, 'stop here');
    };
    const base = ['keys', 'list', '--source', 'vault-kv', '--vault-addr', 'http://v'];
    await cli([...base, '--vault-auth', 'approle', '--vault-role-id', 'r', '--vault-secret-id-file', '/s'], {
      openKeyAdmin: open,
    });
    await cli([...base, '--vault-auth', 'approle', '--vault-role-id-file', '/r'], {
      env: { VAULT_SECRET_ID: 'sec' },
      openKeyAdmin: open,
    });
    await cli([...base, '--vault-auth', 'kubernetes', '--vault-k8s-role', 'w', '--vault-auth-mount', 'k8s'], {
      openKeyAdmin: open,
    });
    expect(sources).toMatchObject([
      { auth: { method: 'approle', roleId: { value: 'r' }, secretId: { file: '/s' } } },
      { auth: { method: 'approle', roleId: { file: '/r' }, secretId: { value: 'sec' } } },
      { auth: { method: 'kubernetes', role: 'w', mount: 'k8s' } },
    ]);
    expect((await cli([...base, '--vault-secret-id', 'x'])).code).toBe(EXIT_CODES.usage);
  });
});

describe('temporal-codec keys on the local keyring', () => {
  it('runs the whole lifecycle: create, rotate, deactivate, activate, destroy, with states and the encrypting version', async () => {
    const k = ['--keyring', keyring()];
    expect((await cli(['keys', 'create', '-n', 'orders', ...k])).code).toBe(EXIT_CODES.ok);
    expect((await cli(['keys', 'rotate', '-n', 'orders', ...k])).stdout).toContain('Rotated version 2 of orders');
    const describe = async () => (await cli(['keys', 'describe', '-n', 'orders', '--json', ...k])).json().description;
    expect(await describe()).toMatchObject({
      encryptingVersion: 2,
      versions: [{ state: 'active' }, { state: 'active' }],
    });

    expect((await cli(['keys', 'deactivate', '-n', 'orders', '--version', '2', ...k])).code).toBe(EXIT_CODES.ok);
    expect(await describe()).toMatchObject({
      encryptingVersion: 1,
      versions: [{ state: 'active' }, { state: 'inactive' }],
    });
    expect((await cli(['keys', 'activate', '-n', 'orders', '--version', '2', ...k])).code).toBe(EXIT_CODES.ok);
    expect(await describe()).toMatchObject({ encryptingVersion: 2 });

    const refused = await cli(['keys', 'destroy', '-n', 'orders', '--version', '1', ...k]);
    expect(refused.code).toBe(EXIT_CODES.refused);
    expect(refused.stderr).toContain('--yes');
    expect(await describe()).toMatchObject({ versions: [{ state: 'active' }, { state: 'active' }] });
    expect((await cli(['keys', 'destroy', '-n', 'orders', '--version', '1', '--yes', ...k])).code).toBe(EXIT_CODES.ok);
    expect(await describe()).toMatchObject({ versions: [{ state: 'destroyed' }, { state: 'active' }] });
    expect((await cli(['keys', 'activate', '-n', 'orders', '--version', '1', ...k])).code).toBe(EXIT_CODES.refused);
  });

  it('shows keys and versions as tables', async () => {
    const k = ['--keyring', keyring()];
    await cli(['keys', 'create', '-n', 'billing', ...k]);
    await cli(['keys', 'create', '-n', 'orders', ...k]);
    const list = await cli(['keys', 'list', ...k]);
    expect(list.stdout).toMatch(/^KEY\s+ENCRYPTS WITH\s+VERSIONS\s+NEWEST CREATED\nbilling\s+1\s+1\s+\d{4}-/);
    expect(list.stdout).toContain('\norders ');
    const described = await cli(['keys', 'describe', '-n', 'orders', ...k]);
    expect(described.stdout).toContain('New payloads are sealed with version 1.');
    expect(described.stdout).toMatch(/VERSION\s+CREATED\s+STATE\n1\s+\S+\s+active\s+encrypts\n/);
    expect(described.stderr).toContain('development only');
  });

  it('answers 2 for unknown keys and versions, and 5 when creating a key that exists', async () => {
    const k = ['--keyring', keyring()];
    expect((await cli(['keys', 'describe', '-n', 'ghost', ...k])).code).toBe(EXIT_CODES.notFound);
    expect((await cli(['keys', 'rotate', '-n', 'ghost', ...k])).code).toBe(EXIT_CODES.notFound);
    await cli(['keys', 'create', '-n', 'orders', ...k]);
    expect((await cli(['keys', 'deactivate', '-n', 'orders', '--version', '7', ...k])).code).toBe(EXIT_CODES.notFound);
    const again = await cli(['keys', 'create', '-n', 'orders', '--json', ...k]);
    expect(again.code).toBe(EXIT_CODES.refused);
    expect(again.json()).toEqual({
      error: { code: ERROR_CODES.invalidArgument, exitCode: 5, message: 'Key already exists' },
    });
  });

  it('rotate-if-older rotates only keys whose encrypting version is older than --max-age', async () => {
    const k = ['--keyring', keyring()];
    await cli(['keys', 'create', '-n', 'a', ...k]);
    await cli(['keys', 'create', '-n', 'b', ...k]);
    const day = 86_400_000;
    const fresh = await cli(['keys', 'rotate-if-older', '--all', '--max-age', '30d', '--json', ...k]);
    expect(fresh.json()).toMatchObject({
      results: [
        { keyId: 'a', due: false, rotated: false },
        { keyId: 'b', rotated: false },
      ],
    });
    const later = () => Date.now() + 31 * day;
    const due = await cli(['keys', 'rotate-if-older', '-n', 'a', '--max-age', '30d', ...k], { now: later });
    expect(due.stdout).toBe('a: rotated (older-than-max-age); version 2 encrypts now.\n');
    // The keyring stamps versions with the real clock, so a's new version is as old as b's first one.
    const all = await cli(['keys', 'rotate-if-older', '--all', '--max-age', '30d', '--json', ...k], { now: later });
    expect(all.json()).toMatchObject({
      results: [
        { keyId: 'a', rotated: true, nowEncrypting: 3 },
        { keyId: 'b', rotated: true, nowEncrypting: 2 },
      ],
    });
  });

  it('destroying a version crypto-shreds its payloads; others still decode', async () => {
    const path = keyring();
    const k = ['--keyring', path];
    await cli(['keys', 'create', '-n', 'orders', ...k]);
    const store = new LocalKeyring({ path, warn: () => undefined });
    const seal = async () =>
      (
        await new EncryptionCodec({ namespace: 'orders', keyProvider: new CachingKeyProvider(store) }).encode([
          { data: Buffer.from('x') },
        ])
      )[0]!;
    const v1 = await seal();
    await cli(['keys', 'rotate', '-n', 'orders', ...k]);
    const v2 = await seal();
    await cli(['keys', 'destroy', '-n', 'orders', '--version', '1', '--yes', ...k]);
    const cold = new EncryptionCodec({ namespace: 'orders', keyProvider: new CachingKeyProvider(store) });
    const results = await cold.decodeSettled([v1, v2]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([ERROR_CODES.keyVersionDestroyed, 'ok']);
  });
});

describe('temporal-codec exit codes for key-source failures', () => {
  const failing =
    (code: CodecErrorCode): CliDeps['openKeyAdmin'] =>
    () => ({
      source: 'vault-kv',
      listKeys: () => Promise.reject(new CodecError(code, 'from the source')),
      describeKey: () => Promise.reject(new CodecError(code, 'from the source')),
      createKey: () => Promise.reject(new CodecError(code, 'from the source')),
      rotateKey: () => Promise.reject(new CodecError(code, 'from the source')),
      setVersionState: () => Promise.reject(new CodecError(code, 'from the source')),
      setAutoRotatePeriod: () => Promise.resolve(false),
      close: () => Promise.resolve(),
    });

  it.each([
    [ERROR_CODES.keySourceDenied, EXIT_CODES.denied, 'key-admin.hcl'],
    [ERROR_CODES.keySourceUnavailable, EXIT_CODES.unreachable, 'reachable'],
    [ERROR_CODES.unknownKey, EXIT_CODES.notFound, 'namespace "ns"'],
    [ERROR_CODES.invalidConfig, EXIT_CODES.usage, 'from the source'],
  ])('%s exits %i with a hint', async (code, exitCode, hint) => {
    const result = await cli(['keys', 'rotate', '-n', 'ns', '--json'], { openKeyAdmin: failing(code) });
    expect(result.code).toBe(exitCode);
    expect(result.stderr).toContain(hint);
    expect(result.json()).toMatchObject({ error: { code, exitCode } });
  });
});
