import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import {
  CodecError,
  EncryptionCodec,
  ERROR_CODES,
  METADATA_KEYS,
  VaultTransitKeyProvider,
  type VaultMethod,
  type VaultRequester,
  type VaultTransitOptions,
} from '../../codec/index.js';
import { wrappedKeyVersion } from '../../codec/keys/vault-transit-client.js';
import { scope } from '../support/key-scope.js';

/**
 * Transit's datakey and decrypt endpoints in memory, answering like OpenBao does (including its 400 messages, which
 * VaultClient turns into ERR_INVALID_CONFIG errors that quote them).
 */
class FakeTransit implements VaultRequester {
  latest = 1;
  minDecryption = 1;
  failWith: CodecError | undefined;
  /** When set, requests wait for it (to hold concurrent callers in flight). */
  gate: Promise<void> | undefined;
  readonly calls: string[] = [];
  /** Items of each batch decrypt request, in order. */
  readonly batchSizes: number[] = [];
  readonly #wrapped = new Map<string, { key: string; context: string }>();

  async request<T>(method: VaultMethod, path: string, body?: object): Promise<T | undefined> {
    this.calls.push(`${method} ${path}`);
    await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    const input = (body ?? {}) as { context?: string; ciphertext?: string };
    const rejected = (message: string) =>
      new CodecError(ERROR_CODES.invalidConfig, `Vault rejected ${method} ${path} (HTTP 400): ${message}`);
    if (path.includes('/datakey/plaintext/')) {
      const key = randomBytes(32).toString('base64');
      const ciphertext = `vault:v${this.latest}:${randomBytes(60).toString('base64')}`;
      this.#wrapped.set(ciphertext, { key, context: input.context ?? '' });
      return { data: { ciphertext, plaintext: key, key_version: this.latest } } as T;
    }
    if (path.includes('/decrypt/')) {
      const one = (item: { context?: string; ciphertext?: string }): string => {
        const entry = this.#wrapped.get(item.ciphertext ?? '');
        if (wrappedKeyVersion(item.ciphertext ?? '') < this.minDecryption) {
          throw new Error('ciphertext or signature version is disallowed by policy (too old)');
        }
        if (entry === undefined || entry.context !== item.context)
          throw new Error('cipher: message authentication failed');
        return entry.key;
      };
      const batch = (body as { batch_input?: Array<{ context?: string; ciphertext?: string }> }).batch_input;
      if (batch === undefined) {
        try {
          return { data: { plaintext: one(input) } } as T;
        } catch (err) {
          throw rejected((err as Error).message);
        }
      }
      // As Transit answers batches: per-item errors, 200 with partial_failure_response_code when any item succeeded.
      const results = batch.map((item) => {
        try {
          return { plaintext: one(item) };
        } catch (err) {
          return { error: (err as Error).message };
        }
      });
      this.batchSizes.push(batch.length);
      const answer = { data: { batch_results: results } };
      if (results.every((result) => result.error !== undefined)) {
        // No item succeeded: Transit answers 400, the per-item errors in the body (VaultClient keeps it as the cause).
        throw new CodecError(ERROR_CODES.invalidConfig, `Vault rejected ${method} ${path} (HTTP 400)`, {
          cause: { response: { statusCode: 400, body: answer } },
        });
      }
      return answer as T;
    }
    throw rejected('unsupported path');
  }

  count(kind: 'datakey' | 'decrypt'): number {
    return this.calls.filter((c) => c.includes(kind === 'datakey' ? '/datakey/' : '/decrypt/')).length;
  }
}

const providers: VaultTransitKeyProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
});

function setup(options: Partial<VaultTransitOptions> = {}) {
  const vault = new FakeTransit();
  let now = 1_000_000;
  const events: string[] = [];
  const provider = new VaultTransitKeyProvider({
    client: vault,
    now: () => now,
    observer: { staleServed: (kind) => events.push(`stale:${kind}`) },
    ...options,
  });
  providers.push(provider);
  return { vault, provider, events, advance: (ms: number) => (now += ms) };
}
const outage = () => new CodecError(ERROR_CODES.keySourceUnavailable, 'down');
const json = (value: unknown) => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(value)),
});

describe('VaultTransitKeyProvider', () => {
  it('seals with a data key whose wrapped form and Transit version travel in the payload metadata', async () => {
    const { vault, provider } = setup();
    vault.latest = 3;
    const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: provider });
    const [sealed] = await codec.encode([json('hello')]);
    const text = (key: string) => new TextDecoder().decode(sealed!.metadata![key]);
    expect(text(METADATA_KEYS.keyVersion)).toBe('3');
    expect(text(METADATA_KEYS.wrappedKey)).toMatch(/^vault:v3:/);
    const cold = new EncryptionCodec({ namespace: 'orders', keyProvider: setupWith(vault) });
    expect(Buffer.from((await cold.decode([sealed!]))[0]!.data!).toString()).toBe('"hello"');
  });

  it('uses one data key for at most maxPayloadsPerDataKey payloads, counting whole batches', async () => {
    const { vault, provider } = setup({ maxPayloadsPerDataKey: 10 });
    const wrapped = new Set<string>();
    for (const size of [4, 4, 2, 1, 10, 11]) wrapped.add((await provider.encryptionKey(scope('ns'), size)).wrappedKey!);
    // 4+4+2 fill the first key; 1 starts a second, 10 does not fit with it, 11 is larger than any key allows.
    expect(wrapped.size).toBe(4);
    expect(vault.count('datakey')).toBe(4);
  });

  it('reserves payloads before handing out a key, so concurrent misses cannot overfill one data key', async () => {
    const { vault, provider } = setup({ maxPayloadsPerDataKey: 100 });
    let open!: () => void;
    vault.gate = new Promise((resolve) => (open = resolve));
    const pending = Array.from({ length: 1000 }, () => provider.encryptionKey(scope('ns'), 1));
    open();
    const keys = await Promise.all(pending);
    const uses = new Map<string, number>();
    for (const k of keys) uses.set(k.wrappedKey!, (uses.get(k.wrappedKey!) ?? 0) + 1);
    expect(Math.max(...uses.values())).toBeLessThanOrEqual(100);
    expect(vault.count('datakey')).toBe(10);
  });

  it('fetches a new data key once dataKeyMaxAgeMs has passed, so a rotation propagates', async () => {
    const { vault, provider, advance } = setup({ dataKeyMaxAgeMs: 60_000 });
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(1);
    vault.latest = 2;
    advance(59_999);
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(1);
    advance(1);
    expect((await provider.encryptionKey(scope('ns'), 1)).version).toBe(2);
  });

  it('keeps separate data keys per namespace, bound by the derivation context', async () => {
    const { vault, provider } = setup();
    const a = await provider.encryptionKey(scope('ns-a'), 1);
    const b = await provider.encryptionKey(scope('ns-b'), 1);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(vault.count('datakey')).toBe(2);
    // The wrapped key of ns-a does not unwrap in ns-b's context, even with a matching key id.
    const other = setupWith(vault, { keyIdFor: () => 'shared' });
    await expect(
      other.decryptionKey(scope('ns-b', 'shared'), { keyId: 'shared', version: 1, wrappedKey: a.wrappedKey! }),
    ).rejects.toMatchObject({
      code: ERROR_CODES.decryptionFailed,
    });
  });

  it('caches unwrapped keys by wrapped bytes and shares one decrypt among concurrent misses', async () => {
    const { vault } = setup();
    const { wrappedKey } = await setupWith(vault).encryptionKey(scope('ns'), 1);
    const reader = setupWith(vault);
    const ref = { keyId: 'ns', version: 1, wrappedKey: wrappedKey! };
    const keys = await Promise.all(Array.from({ length: 50 }, () => reader.decryptionKey(scope('ns'), ref)));
    await reader.decryptionKey(scope('ns'), ref);
    expect(new Set(keys.map((k) => k.key.toString('hex'))).size).toBe(1);
    expect(vault.count('decrypt')).toBe(1);
  });

  it('bounds the unwrapped-key cache (least recently used evicted) and its age', async () => {
    const { vault, provider, advance } = setup({ maxCachedDataKeys: 2, unwrappedKeyMaxAgeMs: 1000 });
    const sealer = setupWith(vault, { maxPayloadsPerDataKey: 1 });
    const refs = [];
    for (let i = 0; i < 3; i++)
      refs.push({ keyId: 'ns', version: 1, wrappedKey: (await sealer.encryptionKey(scope('ns'), 1)).wrappedKey! });
    for (const ref of refs) await provider.decryptionKey(scope('ns'), ref);
    expect(vault.count('decrypt')).toBe(3);
    await provider.decryptionKey(scope('ns'), refs[2]!);
    expect(vault.count('decrypt')).toBe(3);
    await provider.decryptionKey(scope('ns'), refs[0]!);
    expect(vault.count('decrypt')).toBe(4);
    advance(1000);
    await provider.decryptionKey(scope('ns'), refs[0]!);
    expect(vault.count('decrypt')).toBe(5);
  });

  it('serves cached keys for staleIfErrorMs when Vault is down, then fails with the retryable error', async () => {
    const { vault, provider, advance, events } = setup({
      dataKeyMaxAgeMs: 1000,
      unwrappedKeyMaxAgeMs: 1000,
      staleIfErrorMs: 10_000,
    });
    const sealed = await provider.encryptionKey(scope('ns'), 1);
    const ref = { keyId: 'ns', version: 1, wrappedKey: sealed.wrappedKey! };
    vault.failWith = outage();
    advance(5000);
    expect((await provider.encryptionKey(scope('ns'), 1)).wrappedKey).toBe(sealed.wrappedKey);
    expect((await provider.decryptionKey(scope('ns'), ref)).key).toEqual(sealed.key);
    expect(events).toEqual(['stale:latest', 'stale:version']);
    advance(10_000);
    await expect(provider.encryptionKey(scope('ns'), 1)).rejects.toMatchObject({
      code: ERROR_CODES.keySourceUnavailable,
      retryable: true,
    });
    await expect(provider.decryptionKey(scope('ns'), ref)).rejects.toMatchObject({
      code: ERROR_CODES.keySourceUnavailable,
    });
  });

  it('reports versions below min_decryption_version as ERR_KEY_VERSION_DESTROYED and forgets them at once', async () => {
    const { vault, provider, advance } = setup({ unwrappedKeyMaxAgeMs: 1000, negativeTtlMs: 0 });
    const ref = {
      keyId: 'ns',
      version: 1,
      wrappedKey: (await setupWith(vault).encryptionKey(scope('ns'), 1)).wrappedKey!,
    };
    await provider.decryptionKey(scope('ns'), ref);
    vault.latest = 2;
    vault.minDecryption = 2;
    advance(1000);
    await expect(provider.decryptionKey(scope('ns'), ref)).rejects.toMatchObject({
      code: ERROR_CODES.keyVersionDestroyed,
    });
    // Not served stale during a later outage: the entry was dropped when Vault said the version is gone.
    vault.failWith = outage();
    await expect(provider.decryptionKey(scope('ns'), ref)).rejects.toMatchObject({
      code: ERROR_CODES.keySourceUnavailable,
    });
  });

  it('checks the wrapped key before any request: present, well formed, and of the version the metadata names', async () => {
    const { vault, provider } = setup();
    const { wrappedKey } = await provider.encryptionKey(scope('ns'), 1);
    const before = vault.calls.length;
    const cases = [
      { keyId: 'ns', version: 1 },
      { keyId: 'ns', version: 1, wrappedKey: 'not-a-transit-ciphertext' },
      { keyId: 'ns', version: 2, wrappedKey: wrappedKey! },
    ];
    for (const ref of cases) {
      await expect(provider.decryptionKey(scope('ns'), ref)).rejects.toMatchObject({
        code: ERROR_CODES.malformedMetadata,
      });
    }
    // Another key id is refused by the codec, before the provider is asked.
    const codec = new EncryptionCodec({ namespace: 'ns', keyProvider: provider });
    const [sealed] = await codec.encode([{ metadata: {}, data: new Uint8Array([1]) }]);
    const foreign = { ...sealed!.metadata, [METADATA_KEYS.keyId]: new TextEncoder().encode('other') };
    const callsBefore = vault.calls.length;
    await expect(codec.decode([{ metadata: foreign, data: sealed!.data }])).rejects.toMatchObject({
      code: ERROR_CODES.namespaceMismatch,
    });
    expect(vault.calls.length).toBe(callsBefore);
    expect(callsBefore).toBe(before);
  });

  it('refuses key ids that cannot name a Transit key, and invalid limits', () => {
    const { provider } = setup({ keyIdFor: (ns) => `${ns}-` });
    expect(() => provider.keyIdFor('ns')).toThrow(expect.objectContaining({ code: ERROR_CODES.invalidArgument }));
    expect(() => new EncryptionCodec({ namespace: 'ns', keyProvider: provider })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidArgument }),
    );
    expect(() => setupWith(new FakeTransit(), { maxPayloadsPerDataKey: 0 })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidConfig }),
    );
    expect(() => setupWith(new FakeTransit(), { keyPrefix: 'bad/prefix' })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidConfig }),
    );
  });

  it('hands out copies: zeroing one does not damage the cached keys', async () => {
    const { provider } = setup();
    const first = await provider.encryptionKey(scope('ns'), 1);
    const hex = first.key.toString('hex');
    first.key.fill(0);
    expect((await provider.encryptionKey(scope('ns'), 1)).key.toString('hex')).toBe(hex);
    const ref = { keyId: 'ns', version: 1, wrappedKey: first.wrappedKey! };
    (await provider.decryptionKey(scope('ns'), ref)).key.fill(0);
    expect((await provider.decryptionKey(scope('ns'), ref)).key.toString('hex')).toBe(hex);
  });
});

describe('VaultTransitKeyProvider: cold histories', () => {
  it('unwraps the data keys of a cold history in one batch decrypt: 100 payloads under 20 keys, one request', async () => {
    const { vault, provider } = setup();
    // Twenty worker processes, each with a data key of its own, each sealing five payloads.
    const sealed: Payload[] = [];
    for (let worker = 0; worker < 20; worker++) {
      const writer = new EncryptionCodec({ namespace: 'orders', keyProvider: setupWith(vault) });
      sealed.push(...(await writer.encode(Array.from({ length: 5 }, (_, i) => json(`${worker}.${i}`)))));
    }
    const before = vault.count('decrypt');
    const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: provider });
    const decoded = await codec.decode(sealed);
    expect(decoded.map((p) => JSON.parse(Buffer.from(p.data!).toString()) as string)).toEqual(
      Array.from({ length: 100 }, (_, n) => `${Math.floor(n / 5)}.${n % 5}`),
    );
    expect(vault.count('decrypt') - before).toBe(1);
    expect(vault.batchSizes).toEqual([20]);
    // Warm: nothing more.
    await codec.decode(sealed);
    expect(vault.count('decrypt') - before).toBe(1);
  });

  it('fails a forged wrapped key alone in a batch, and every item alone when all are forged', async () => {
    const { vault, provider } = setup();
    const sealed: Payload[] = [];
    for (let worker = 0; worker < 3; worker++) {
      const writer = new EncryptionCodec({ namespace: 'orders', keyProvider: setupWith(vault) });
      sealed.push(...(await writer.encode([json(worker)])));
    }
    const forge = (payload: (typeof sealed)[number]) => ({
      ...payload,
      metadata: {
        ...payload.metadata,
        [METADATA_KEYS.wrappedKey]: new TextEncoder().encode(`vault:v1:${randomBytes(60).toString('base64')}`),
      },
    });
    const codec = new EncryptionCodec({ namespace: 'orders', keyProvider: provider });
    const mixed = await codec.decodeSettled([sealed[0]!, forge(sealed[1]!), sealed[2]!]);
    expect(mixed.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', ERROR_CODES.decryptionFailed, 'ok']);
    const forged = await codec.decodeSettled([forge(sealed[0]!), forge(sealed[1]!)]);
    expect(forged.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      ERROR_CODES.decryptionFailed,
      ERROR_CODES.decryptionFailed,
    ]);
    expect(vault.batchSizes).toEqual([3, 2]);
  });

  it('fails every item of a batch with the retryable error when Vault is down', async () => {
    const { vault, provider } = setup();
    const sealed: Payload[] = [];
    for (let worker = 0; worker < 2; worker++) {
      const writer = new EncryptionCodec({ namespace: 'orders', keyProvider: setupWith(vault) });
      sealed.push(...(await writer.encode([json(worker)])));
    }
    vault.failWith = outage();
    const results = await new EncryptionCodec({ namespace: 'orders', keyProvider: provider }).decodeSettled(sealed);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      ERROR_CODES.keySourceUnavailable,
      ERROR_CODES.keySourceUnavailable,
    ]);
  });
});

function setupWith(vault: FakeTransit, options: Partial<VaultTransitOptions> = {}): VaultTransitKeyProvider {
  const provider = new VaultTransitKeyProvider({ client: vault, ...options });
  providers.push(provider);
  return provider;
}
