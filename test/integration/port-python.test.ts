import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CachingKeyProvider,
  EncryptionCodec,
  LocalKeyring,
  VaultClient,
  VaultKvStore,
  VaultTransitKeyProvider,
  VaultTransitKeys,
  type KeyProvider,
} from '../../codec/index.js';
import { pythonCodec, runPython } from '../support/python-port.js';
import { uniquePrefix } from '../support/vault-fixtures.js';

// The Python port (ports/python) is tested here with the shared OpenBao of the run: its own pytest suite (every Vault
// test runs; none may skip), its type check, and payloads crossing between the TypeScript library and the port in
// both directions, for each key source.
const vault = inject('vault');
const namespace = 'crosscheck';
const transitMount = `transit-py-${randomBytes(4).toString('hex')}`;
const keyringDir = mkdtempSync(join(tmpdir(), 'port-python-'));
const providers: KeyProvider[] = [];

const client = () => new VaultClient({ endpoint: vault.addr, token: vault.token, retries: 1, backoffMs: 10 });

/** Edge sizes from 0 B to 1 MiB, and random payloads (metadata and data) on top. */
function crossPayloads(): Payload[] {
  const sizes = [0, 1, 15, 16, 17, 255, 256, 1024, 4096, 65_535, 65_536, 1_048_576];
  const fixed = sizes.map((size) => ({
    metadata: { encoding: new TextEncoder().encode('binary/plain') },
    data: new Uint8Array(randomBytes(size)),
  }));
  const random = fc.sample(
    fc.record({
      metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 64 }), {
        maxKeys: 4,
      }),
      data: fc.uint8Array({ maxLength: 8192 }),
    }),
    { numRuns: 40, seed: 17 },
  );
  return [...fixed, ...random];
}

function hexView(payload: Payload | undefined): { metadata: Record<string, string>; data: string } {
  const entries: Array<[string, string]> = Object.entries(payload?.metadata ?? {}).map(([key, value]) => [
    key,
    Buffer.from(value ?? []).toString('hex'),
  ]);
  entries.sort(([a], [b]) => (a < b ? -1 : 1));
  return { metadata: Object.fromEntries(entries), data: Buffer.from(payload?.data ?? []).toString('hex') };
}

interface Mode {
  readonly name: string;
  /** Creates the namespace's key and returns a TypeScript provider and the port's `keySource`. */
  setUp(): Promise<{ provider: KeyProvider; keySource: Record<string, string> }>;
}

const modes: Mode[] = [
  {
    name: 'Vault KV v2',
    async setUp() {
      const pathPrefix = uniquePrefix('port-python');
      const store = new VaultKvStore({ client: client(), pathPrefix });
      await store.createKey(namespace);
      const keySource = { kind: 'vault-kv', mount: 'secret', pathPrefix, address: vault.addr, token: vault.token };
      return { provider: new CachingKeyProvider(store), keySource };
    },
  },
  {
    name: 'Vault Transit',
    async setUp() {
      await new VaultTransitKeys({ client: client(), mount: transitMount }).createKey(namespace);
      const keySource = { kind: 'vault-transit', mount: transitMount, address: vault.addr, token: vault.token };
      return { provider: new VaultTransitKeyProvider({ client: client(), mount: transitMount }), keySource };
    },
  },
  {
    name: 'local keyring file',
    async setUp() {
      const path = join(keyringDir, 'keyring.json');
      const keyring = new LocalKeyring({ path, warn: () => undefined });
      await keyring.createKey(namespace);
      return { provider: new CachingKeyProvider(keyring), keySource: { kind: 'local-keyring', path } };
    },
  },
];

beforeAll(async () => {
  const res = await fetch(`${vault.addr}/v1/sys/mounts/${transitMount}`, {
    method: 'POST',
    headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'transit' }),
  });
  expect(res.status).toBe(204);
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
  rmSync(keyringDir, { recursive: true, force: true });
});

describe('Python port (ports/python)', () => {
  it('passes its own tests with pytest against the shared OpenBao, skipping none of the Vault tests', async () => {
    const run = await runPython(['-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider'], {
      env: { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token },
    });
    expect(run.status, run.stdout.slice(-4000)).toBe(0);
    const passed = /(\d+) passed/.exec(run.stdout);
    expect(Number(passed?.[1])).toBeGreaterThan(100);
    expect(run.stdout).not.toMatch(/SKIPPED.*VAULT_ADDR/);
  }, 300_000);

  it('is clean under mypy --strict and the linter', async () => {
    const mypy = await runPython(['-m', 'mypy', '--strict', 'src', 'tests', 'bench', 'examples']);
    expect(mypy.status, mypy.stdout).toBe(0);
    const lint = await runPython(['-m', 'ruff', 'check', '.']);
    expect(lint.status, lint.stdout).toBe(0);
    const format = await runPython(['-m', 'ruff', 'format', '--check', '.']);
    expect(format.status, format.stdout).toBe(0);
  }, 300_000);

  describe.each(modes)('payloads cross between TypeScript and Python: $name', (mode) => {
    let provider: KeyProvider;
    let keySource: Record<string, string>;
    const payloads = crossPayloads();

    beforeAll(async () => {
      ({ provider, keySource } = await mode.setUp());
      providers.push(provider);
    });

    it('payloads sealed by TypeScript (0 B to 1 MiB, random metadata) open in Python', async () => {
      const sealed = await new EncryptionCodec({ namespace, keyProvider: provider }).encode(payloads);
      const opened = await pythonCodec({ operation: 'decode', namespace, keySource, payloads: sealed });
      expect(opened.map(hexView)).toEqual(payloads.map(hexView));
    }, 120_000);

    it('payloads sealed by Python open in TypeScript, and stay sealed in transit', async () => {
      const sealed = await pythonCodec({ operation: 'encode', namespace, keySource, payloads });
      expect(sealed.map((p) => new TextDecoder().decode(p.metadata?.encoding))).toEqual(
        payloads.map(() => 'binary/encrypted'),
      );
      const opened = await new EncryptionCodec({ namespace, keyProvider: provider }).decode(sealed);
      expect(opened.map(hexView)).toEqual(payloads.map(hexView));
    }, 120_000);

    it('a payload sealed by Python for another namespace is refused by TypeScript with the same code', async () => {
      const [sealed] = await pythonCodec({ operation: 'encode', namespace, keySource, payloads: payloads.slice(0, 1) });
      await expect(
        new EncryptionCodec({ namespace: 'elsewhere', keyProvider: provider }).decode([sealed!]),
      ).rejects.toMatchObject({ code: 'ERR_NAMESPACE_MISMATCH' });
    }, 120_000);
  });
});
