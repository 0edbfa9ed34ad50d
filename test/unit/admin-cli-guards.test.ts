import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_ERROR_CODES, AdminError } from '../../admin/admin-error.js';
import type { CommandContext } from '../../admin/command-context.js';
import { EXIT_CODES } from '../../admin/exit-codes.js';
import { runCli, type CliDeps } from '../../admin/run-cli.js';
import type { TemporalOptions } from '../../admin/temporal/temporal-options.js';

// The guards of keys deactivate/destroy that need no Temporal (the version that encrypts, the last active version,
// --dry-run, --force), on a real keyring file; and how the Temporal options are read, up to the connection.
const dir = mkdtempSync(join(tmpdir(), 'admin-guards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** The CLI's JSON documents, loosely: each test reads the fields of its command. */
interface CliJson {
  readonly kind?: string;
  readonly error: { readonly code: string; readonly exitCode: number };
  readonly [field: string]: unknown;
}

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
  return { code, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) as CliJson };
}

/** A keyring with key `orders` in versions 1 and 2, both active (2 encrypts). */
async function twoVersions() {
  const path = join(dir, `keyring-${++files}.json`);
  const k = ['--keyring', path, '-n', 'orders'];
  expect((await cli(['keys', 'create', ...k])).code).toBe(EXIT_CODES.ok);
  expect((await cli(['keys', 'rotate', ...k])).code).toBe(EXIT_CODES.ok);
  return { k, file: () => readFileSync(path, 'utf8') };
}

describe('keys destroy / deactivate guard the version that encrypts', () => {
  it('refuses to destroy the encrypting version without --force (exit 5, ERR_KEY_VERSION_ENCRYPTING), changing nothing', async () => {
    const { k, file } = await twoVersions();
    const before = file();
    const refused = await cli(['keys', 'destroy', ...k, '--version', '2', '--yes', '--json']);
    expect(refused.code).toBe(EXIT_CODES.refused);
    expect(refused.json().error).toMatchObject({ code: ADMIN_ERROR_CODES.keyVersionEncrypting, exitCode: 5 });
    expect(file()).toBe(before);
    const forced = await cli(['keys', 'destroy', ...k, '--version', '2', '--yes', '--force', '--json']);
    expect(forced.code).toBe(EXIT_CODES.ok);
    expect(forced.json()).toMatchObject({ action: 'destroyed', version: { version: 2, state: 'destroyed' } });
    expect(forced.stderr).toContain('--force: going ahead');
  });

  it('refuses to deactivate the last active version without --force', async () => {
    const { k } = await twoVersions();
    expect((await cli(['keys', 'deactivate', ...k, '--version', '1'])).code).toBe(EXIT_CODES.ok);
    const refused = await cli(['keys', 'deactivate', ...k, '--version', '2', '--json']);
    expect(refused.code).toBe(EXIT_CODES.refused);
    expect(refused.json().error.code).toBe(ADMIN_ERROR_CODES.keyVersionEncrypting);
    expect((await cli(['keys', 'deactivate', ...k, '--version', '2', '--force'])).code).toBe(EXIT_CODES.ok);
  });

  it('--dry-run shows what would change, refused or not, and changes nothing (destroy needs no --yes for it)', async () => {
    const { k, file } = await twoVersions();
    const before = file();
    const refused = await cli(['keys', 'destroy', ...k, '--version', '2', '--dry-run']);
    expect(refused.code).toBe(EXIT_CODES.ok);
    expect(refused.stdout).toContain('Dry run: destroy version 2 of orders (local); nothing was changed.');
    expect(refused.stdout).toContain('encryption: version 2 -> version 1');
    expect(refused.stdout).toContain('[ERR_KEY_VERSION_ENCRYPTING]');
    expect(refused.stdout).toContain('Without --dry-run it would be refused.');
    const fine = (await cli(['keys', 'destroy', ...k, '--version', '1', '--dry-run', '--json'])).json();
    expect(fine).toMatchObject({
      kind: 'retire-plan',
      plan: { proceeds: true, changes: ['version 1: active -> destroyed'], usage: { checked: false } },
    });
    expect(file()).toBe(before);
  });

  it('says that Temporal could not be checked when no address is configured', async () => {
    const { k } = await twoVersions();
    const result = await cli(['keys', 'deactivate', ...k, '--version', '1']);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stderr).toContain('Temporal not checked (no --temporal-address or TEMPORAL_ADDRESS)');
    expect(result.stdout).toContain('Temporal was not checked');
  });
});

describe('Temporal connection options, as the temporal CLI spells them', () => {
  /** Runs the CLI up to the connection, which it refuses as an unreachable server would; returns what it asked for. */
  async function connectionOf(args: string[], env: Record<string, string> = {}) {
    const seen: TemporalOptions[] = [];
    const openTemporal: CommandContext['openTemporal'] = (options) => {
      seen.push(options);
      return Promise.reject(new AdminError(ADMIN_ERROR_CODES.temporalUnavailable, 'stop here'));
    };
    const result = await cli(args, { env, context: { openTemporal } });
    return { result, options: seen[0] };
  }

  it('reads the address, namespace, TLS files and API key from the environment; flags win', async () => {
    const env = {
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_NAMESPACE: 'orders',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/k.pem',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'frontend',
      TEMPORAL_API_KEY: 'key-from-env',
    };
    const { result, options } = await connectionOf(['keys', 'usage'], env);
    expect(result.code).toBe(EXIT_CODES.unreachable);
    expect(options).toEqual({
      address: 'temporal.example:7233',
      tls: {
        serverName: 'frontend',
        ca: { file: '/ca.pem' },
        clientCert: { cert: { file: '/c.pem' }, key: { file: '/k.pem' } },
      },
      apiKey: { value: 'key-from-env' },
    });
    const flags = await connectionOf(['keys', 'usage', '--temporal-address', 'other:1', '--api-key-file', '/a'], env);
    expect(flags.options).toMatchObject({ address: 'other:1', apiKey: { file: '/a' } });
  });

  it('uses localhost:7233 in plaintext for usage by default; TLS is implied by an API key; TEMPORAL_TLS=false wins', async () => {
    expect((await connectionOf(['keys', 'usage', '-n', 'ns'])).options).toEqual({
      address: 'localhost:7233',
      tls: false,
    });
    expect((await connectionOf(['keys', 'usage', '-n', 'ns'], { TEMPORAL_API_KEY: 'k' })).options?.tls).toEqual({});
    const off = await connectionOf(['keys', 'usage', '-n', 'ns'], { TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' });
    expect(off.options?.tls).toBe(false);
    expect((await connectionOf(['schedules', 'reencrypt', '-n', 'ns', '--tls'])).options?.tls).toEqual({});
  });

  it.each([
    [['keys', 'usage', '-n', 'ns', '--api-key', 'secret'], 'TEMPORAL_API_KEY'],
    [['keys', 'usage', '-n', 'ns', '--tls-cert-path', '/c'], 'needs its key'],
    [['keys', 'usage', '-n', 'ns', '--concurrency', '0'], '--concurrency'],
    [['keys', 'usage', '-n', 'ns', '--force'], '--force is not used by keys usage'],
    [['keys', 'rotate', '-n', 'ns', '--temporal-address', 'x:1'], '--temporal-address is not used by keys rotate'],
    [['keys', 'destroy', '-n', 'ns', '--version', '1', '--tls'], 'need --temporal-address'],
    [['keys', 'usage', '-n', 'ns', '--schedule-id', 's'], '--schedule-id is not used by keys usage'],
    [['schedules', 'reencrypt'], 'schedules reencrypt needs --namespace'],
    [['schedules', 'explode', '-n', 'ns'], 'Unknown command "schedules explode"'],
  ])('exits 1 without connecting for %j', async (args, message) => {
    const { result, options } = await connectionOf(args);
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain(message);
    expect(options).toBeUndefined();
  });

  it('maps Temporal failures to exit codes: unreachable 4, denied 3, unknown namespace 2', async () => {
    for (const [code, exit] of [
      [ADMIN_ERROR_CODES.temporalUnavailable, EXIT_CODES.unreachable],
      [ADMIN_ERROR_CODES.temporalDenied, EXIT_CODES.denied],
      [ADMIN_ERROR_CODES.temporalNotFound, EXIT_CODES.notFound],
    ] as const) {
      const openTemporal = () => Promise.reject(new AdminError(code, 'from Temporal'));
      const result = await cli(['keys', 'usage', '-n', 'ns', '--json'], { context: { openTemporal } });
      expect(result.code).toBe(exit);
      expect(result.json().error).toMatchObject({ code, exitCode: exit });
    }
  });
});
