import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ERROR_CODES, SAMPLES_VAULT_KEY_FIELD, VaultClient, VaultKvStore } from '../../codec/index.js';
import { createServerDeps, loadConfig, startServer, type RunningServer } from '../../codec-server/index.js';
import { projectRoot } from '../../harness/tools.js';
import { goEnv, resolveGo, run } from '../support/go-port.js';
import { uniquePrefix } from '../support/vault-fixtures.js';

// Payloads written by the Temporal Go samples' encryption codec (test/fixtures/samples-go-producer) decode through
// the codec server when the samples profile is configured, with keys from a file or from Vault KV v2, and are
// refused with ERR_UNSUPPORTED_FORMAT without it.

const vault = inject('vault');
const prefix = uniquePrefix('samples');
const samplesFolder = `${prefix}samples-keys`;
const silent = { write: () => undefined };
const running: RunningServer[] = [];

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** The samples' own demo key: 32 ASCII bytes, the same for every key id in the Go, Python and TypeScript samples. */
const DEMO_KEY = Buffer.from('test-key-test-key-test-key-test!');
const KEYS = { 'test-key-id': DEMO_KEY, 'payments-2023': randomBytes(32) } as const;
const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');
const BIG = randomBytes(70_000);
const INPUTS: JsonPayload[] = [
  { metadata: { encoding: b64('json/plain') }, data: b64('"hello from the Go sample"') },
  { metadata: { encoding: b64('binary/plain'), 'x-custom': b64('kept') }, data: b64(BIG) },
  { metadata: { encoding: b64('binary/null') } },
];
let sealedBatches: JsonPayload[][];
let keysFile: string;

async function serve(argv: string[]): Promise<RunningServer> {
  const env = { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token };
  const config = loadConfig(env, ['--port', '0', '--vault-key-prefix', prefix, ...argv]);
  const server = await startServer({ deps: await createServerDeps(config, { logDestination: silent }) });
  running.push(server);
  return server;
}

async function decode(server: RunningServer, payloads: JsonPayload[], namespace = 'default') {
  const res = await fetch(`${server.url}/decode`, {
    method: 'POST',
    body: JSON.stringify({ payloads }),
    headers: { 'Content-Type': 'application/json', 'X-Namespace': namespace },
  });
  expect(res.status).toBe(200);
  const errors = JSON.parse(res.headers.get('X-Codec-Decode-Errors') ?? '[]') as Array<{ index: number; code: string }>;
  return { payloads: ((await res.json()) as { payloads: JsonPayload[] }).payloads, errors };
}

function expectOpened(actual: JsonPayload[], expected: JsonPayload[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((payload, i) => {
    expect(payload.data ?? '').toBe(expected[i]!.data ?? '');
    expect(payload.metadata).toEqual(expected[i]!.metadata);
  });
}

beforeAll(async () => {
  // The Go sample's codec seals three payloads under its demo key id and one under another key id.
  const request = {
    keys: Object.fromEntries(Object.entries(KEYS).map(([id, key]) => [id, b64(key)])),
    batches: [
      { keyId: 'test-key-id', payloads: INPUTS },
      { keyId: 'payments-2023', payloads: [INPUTS[0]] },
    ],
  };
  const producer = join(projectRoot, 'test', 'fixtures', 'samples-go-producer');
  const result = await run(resolveGo(), ['run', '.'], { cwd: producer, env: goEnv(), input: JSON.stringify(request) });
  if (result.code !== 0) throw new Error(`the samples Go producer failed:\n${result.stderr}`);
  sealedBatches = (JSON.parse(result.stdout) as { batches: JsonPayload[][] }).batches;

  const dir = mkdtempSync(join(tmpdir(), 'samples-keys-'));
  keysFile = join(dir, 'samples-keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify({ 'test-key-id': b64(DEMO_KEY), 'payments-2023': KEYS['payments-2023'].toString('hex') }),
  );

  // The namespace's own key (this library's format) and the samples keys, one KV v2 secret per key id.
  const client = new VaultClient({ endpoint: vault.addr, token: vault.token });
  await new VaultKvStore({ client, pathPrefix: prefix }).createKey('default');
  for (const [keyId, key] of Object.entries(KEYS)) {
    await client.request('POST', `/secret/data/${samplesFolder}/${keyId}`, {
      data: { [SAMPLES_VAULT_KEY_FIELD]: b64(key) },
    });
  }
}, 600_000);

afterAll(async () => {
  await Promise.all(running.map((server) => server.shutdown(1000)));
});

describe("payloads of the Go samples' encryption codec", () => {
  it('are what the sample writes: binary/encrypted, a key id, no format, 12 + n + 16 bytes of data', () => {
    const first = sealedBatches[0]![0]!;
    expect(Object.keys(first.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    expect(Buffer.from(first.metadata!.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(first.metadata!['encryption-key-id']!, 'base64').toString()).toBe('test-key-id');
    expect(Buffer.from(sealedBatches[0]![1]!.data!, 'base64').length).toBeGreaterThan(BIG.length + 28);
  });

  it('decode through the codec server with the profile and keys from a file', async () => {
    const server = await serve(['--samples-keys-file', keysFile]);
    const first = await decode(server, sealedBatches[0]!);
    expect(first.errors).toEqual([]);
    expectOpened(first.payloads, INPUTS);
    const second = await decode(server, sealedBatches[1]!);
    expect(second.errors).toEqual([]);
    expectOpened(second.payloads, [INPUTS[0]!]);
  });

  it("decode with keys from Vault KV v2 (OpenBao), next to this library's own payloads", async () => {
    const server = await serve(['--samples-keys-vault-path', `secret/${samplesFolder}`]);
    const encoded = await fetch(`${server.url}/encode`, {
      method: 'POST',
      body: JSON.stringify({ payloads: [INPUTS[0]] }),
      headers: { 'Content-Type': 'application/json' },
    });
    const ours = ((await encoded.json()) as { payloads: JsonPayload[] }).payloads[0]!;
    expect(ours.metadata?.['encryption-format']).toBeDefined();
    const mixed = await decode(server, [...sealedBatches[0]!, ours, ...sealedBatches[1]!]);
    expect(mixed.errors).toEqual([]);
    expectOpened(mixed.payloads, [...INPUTS, INPUTS[0]!, INPUTS[0]!]);
  });

  it('are refused with ERR_UNSUPPORTED_FORMAT by a server without the profile, and returned unchanged', async () => {
    const server = await serve([]);
    const refused = await decode(server, sealedBatches[0]!);
    expect(refused.errors).toEqual(INPUTS.map((_, index) => ({ index, code: ERROR_CODES.unsupportedFormat })));
    expect(refused.payloads).toEqual(sealedBatches[0]);
  });

  it('fail alone with ERR_DECRYPTION_FAILED when edited, ERR_UNKNOWN_KEY for a key id without a key', async () => {
    const server = await serve(['--samples-keys-file', keysFile]);
    const edited = Buffer.from(sealedBatches[0]![0]!.data!, 'base64');
    edited[20]! ^= 1;
    const unknown = {
      ...sealedBatches[1]![0]!,
      metadata: { ...sealedBatches[1]![0]!.metadata, 'encryption-key-id': b64('retired') },
    };
    const result = await decode(server, [
      { ...sealedBatches[0]![0]!, data: b64(edited) },
      unknown,
      sealedBatches[0]![0]!,
    ]);
    expect(result.errors).toEqual([
      { index: 0, code: ERROR_CODES.decryptionFailed },
      { index: 1, code: ERROR_CODES.unknownKey },
    ]);
    expectOpened([result.payloads[2]!], [INPUTS[0]!]);
  });

  it('open only the key ids allowed for the namespace with --samples-key-ids', async () => {
    const server = await serve(['--samples-keys-file', keysFile, '--samples-key-ids', 'default=test-key-id']);
    expect((await decode(server, sealedBatches[0]!)).errors).toEqual([]);
    expect((await decode(server, sealedBatches[1]!)).errors).toEqual([
      { index: 0, code: ERROR_CODES.namespaceMismatch },
    ]);
  });
});
