import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CachingKeyProvider,
  CodecError,
  EncryptionCodec,
  ERROR_CODES,
  METADATA_KEYS,
  MemoryKeyStore,
  MultiNamespaceCodec,
  STORAGE_REFERENCE_MESSAGE_TYPE,
  V1_LAYOUT,
  type CodecErrorCode,
} from '../../codec/index.js';

const utf8 = new TextEncoder();
const text = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array());

function jsonPayload(value: unknown): Payload {
  return { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(value)) };
}

function fingerprint(payload: Payload): Record<string, string> {
  const hex = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('hex');
  const entries: Array<[string, string]> = Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, hex(v)]);
  return Object.fromEntries([['data', hex(payload.data)], ...entries]);
}

const providers: CachingKeyProvider[] = [];
function setup(namespace = 'orders', options: { maxPayloadsPerDerivedKey?: number } = {}) {
  const store = new MemoryKeyStore();
  store.rotate('orders');
  store.rotate('payments');
  const provider = new CachingKeyProvider(store, { latestTtlMs: 0 });
  providers.push(provider);
  const codec = new EncryptionCodec({ namespace, keyProvider: provider, ...options });
  return { store, provider, codec };
}
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
});

async function expectCode(promise: Promise<unknown>, code: CodecErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CodecError);
  expect((err as CodecError).code).toBe(code);
}

describe('EncryptionCodec', () => {
  it.each([0, 1, 1024, 1024 * 1024])('round-trips a %i-byte payload with its metadata', async (size) => {
    const { codec } = setup();
    const original: Payload = {
      metadata: { encoding: utf8.encode('binary/plain'), extra: utf8.encode('x') },
      data: randomBytes(size),
    };
    const [encoded] = await codec.encode([original]);
    const [decoded] = await codec.decode([encoded!]);
    expect(Buffer.from(decoded!.data!).equals(Buffer.from(original.data!))).toBe(true);
    expect(text(decoded!.metadata!.encoding)).toBe('binary/plain');
    expect(text(decoded!.metadata!.extra)).toBe('x');
  });

  it('tags payloads with readable key id, version and format, and hides the original metadata', async () => {
    const { codec } = setup();
    const [encoded] = await codec.encode([jsonPayload({ secret: 'hunter2' })]);
    const metadata = encoded!.metadata!;
    expect(Object.keys(metadata).sort()).toEqual(
      [METADATA_KEYS.encoding, METADATA_KEYS.format, METADATA_KEYS.keyId, METADATA_KEYS.keyVersion].sort(),
    );
    expect(text(metadata[METADATA_KEYS.encoding])).toBe('binary/encrypted');
    expect(text(metadata[METADATA_KEYS.keyId])).toBe('orders');
    expect(text(metadata[METADATA_KEYS.keyVersion])).toBe('1');
    expect(Buffer.from(encoded!.data!).includes('hunter2')).toBe(false);
    expect(Buffer.from(encoded!.data!).includes('json/plain')).toBe(false);
  });

  it('produces the same bytes as the generated protobuf Payload codec for the sealed plaintext', async () => {
    const { codec } = setup();
    const payload = jsonPayload({ a: 1 });
    const [encoded] = await codec.encode([payload]);
    const [decoded] = await codec.decode([encoded!]);
    const viaProto = temporal.api.common.v1.Payload.decode(temporal.api.common.v1.Payload.encode(payload).finish());
    expect(Buffer.from(decoded!.data!)).toEqual(Buffer.from(viaProto.data));
  });

  it('keeps fields other than metadata and data (external payload details)', async () => {
    const { codec } = setup();
    const payload = { ...jsonPayload('x'), externalPayloads: [{ sizeBytes: 42 }] } as unknown as Payload;
    const [decoded] = await codec.decode(await codec.encode([payload]));
    expect(Number(decoded!.externalPayloads![0]!.sizeBytes)).toBe(42);
  });

  it('passes payloads without binary/encrypted through decode unchanged', async () => {
    const { codec } = setup();
    const plain = jsonPayload('written before encryption');
    const [decoded] = await codec.decode([plain]);
    expect(decoded).toBe(plain);
  });

  it('never mutates input payloads', async () => {
    const { codec } = setup();
    const payload = jsonPayload({ a: 1 });
    const snapshot = fingerprint(payload);
    const [encoded] = await codec.encode([payload]);
    expect(fingerprint(payload)).toEqual(snapshot);
    const encodedSnapshot = fingerprint(encoded!);
    await codec.decode([encoded!]);
    expect(fingerprint(encoded!)).toEqual(encodedSnapshot);
  });

  it('encodes with the newest version after rotation and still decodes older versions', async () => {
    const { codec, store } = setup();
    const [v1] = await codec.encode([jsonPayload('one')]);
    store.rotate('orders');
    const [v2] = await codec.encode([jsonPayload('two')]);
    expect(text(v1!.metadata![METADATA_KEYS.keyVersion])).toBe('1');
    expect(text(v2!.metadata![METADATA_KEYS.keyVersion])).toBe('2');
    const decoded = await codec.decode([v1!, v2!]);
    expect(decoded.map((p) => JSON.parse(text(p.data)) as string)).toEqual(['one', 'two']);
  });

  it('refuses a serialization context naming another namespace (ERR_NAMESPACE_MISMATCH)', async () => {
    const { codec } = setup('orders');
    const context = { type: 'workflow', namespace: 'payments', workflowId: 'w' } as const;
    await expectCode(codec.encode([jsonPayload('p')], context), ERROR_CODES.namespaceMismatch);
    await expectCode(codec.decode([jsonPayload('p')], context), ERROR_CODES.namespaceMismatch);
    const [encoded] = await codec.encode([jsonPayload('p')], { ...context, namespace: 'orders' });
    expect(text(encoded!.metadata![METADATA_KEYS.keyId])).toBe('orders');
  });

  it('MultiNamespaceCodec uses the namespace of the serialization context when the SDK passes one', async () => {
    const { provider } = setup('orders');
    const codec = new MultiNamespaceCodec({ keyProvider: provider, defaultNamespace: 'orders' });
    const [encoded] = await codec.encode([jsonPayload('p')], {
      type: 'workflow',
      namespace: 'payments',
      workflowId: 'w',
    });
    expect(text(encoded!.metadata![METADATA_KEYS.keyId])).toBe('payments');
    await expectCode(codec.decode([encoded!]), ERROR_CODES.namespaceMismatch);
    const [decoded] = await codec.decode([encoded!], { type: 'workflow', namespace: 'payments', workflowId: 'w' });
    expect(JSON.parse(text(decoded!.data))).toBe('p');
    expect(codec.forNamespace('payments')).toBe(codec.forNamespace('payments'));
    codec.close();
  });

  it('MultiNamespaceCodec keeps at most maxNamespaces codecs and closes the ones it evicts', async () => {
    const { provider, store } = setup('orders');
    store.rotate('a');
    const codec = new MultiNamespaceCodec({ keyProvider: provider, defaultNamespace: 'orders', maxNamespaces: 2 });
    const first = codec.forNamespace('a');
    const [sealed] = await first.encode([jsonPayload('x')]);
    codec.forNamespace('b');
    codec.forNamespace('c');
    expect(codec.size).toBe(2);
    expect(codec.forNamespace('a')).not.toBe(first);
    // The evicted codec's keys were zeroed: it derives again from the provider, and still opens its payloads.
    expect(JSON.parse(text((await first.decode([sealed!]))[0]!.data))).toBe('x');
    await expectCode(
      codec.decode([jsonPayload('x')], { type: 'workflow', namespace: '../x', workflowId: 'w' }),
      ERROR_CODES.invalidArgument,
    );
    codec.close();
  });

  it('refuses a payload from another namespace (ERR_NAMESPACE_MISMATCH)', async () => {
    const { codec, provider } = setup('orders');
    const [encoded] = await codec.encode([jsonPayload('x')]);
    const other = new EncryptionCodec({ namespace: 'payments', keyProvider: provider });
    await expectCode(other.decode([encoded!]), ERROR_CODES.namespaceMismatch);
  });

  it('binds the namespace in the authenticated data even when namespaces share a key id', async () => {
    const store = new MemoryKeyStore();
    store.rotate('shared');
    const provider = new CachingKeyProvider(store, { keyIdFor: () => 'shared' });
    providers.push(provider);
    const a = new EncryptionCodec({ namespace: 'a', keyProvider: provider });
    const b = new EncryptionCodec({ namespace: 'b', keyProvider: provider });
    const [encoded] = await a.encode([jsonPayload('x')]);
    await expectCode(b.decode([encoded!]), ERROR_CODES.decryptionFailed);
  });

  it('detects one flipped bit anywhere in the sealed data (ERR_DECRYPTION_FAILED)', async () => {
    const { codec } = setup();
    const [encoded] = await codec.encode([jsonPayload('tamper me')]);
    const data = encoded!.data!;
    for (let bit = 0; bit < data.length * 8; bit++) {
      const copy = Uint8Array.from(data);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      const [result] = await codec.decodeSettled([{ metadata: encoded!.metadata, data: copy }]);
      expect(result!.ok, `bit ${bit}`).toBe(false);
      if (!result!.ok) expect(result!.error.code, `bit ${bit}`).toBe(ERROR_CODES.decryptionFailed);
    }
  });

  it('reports truncation before running any crypto (ERR_PAYLOAD_TRUNCATED), and shorter ciphertext as tampering', async () => {
    const { codec } = setup();
    const [encoded] = await codec.encode([jsonPayload('truncate me')]);
    const data = encoded!.data!;
    for (const length of [0, 1, V1_LAYOUT.header, V1_LAYOUT.minimum - 1]) {
      await expectCode(
        codec.decode([{ metadata: encoded!.metadata, data: data.subarray(0, length) }]),
        ERROR_CODES.truncated,
      );
    }
    await expectCode(
      codec.decode([{ metadata: encoded!.metadata, data: data.subarray(0, data.length - 1) }]),
      ERROR_CODES.decryptionFailed,
    );
  });

  it('fails when the metadata version is edited', async () => {
    const { codec, store } = setup();
    const [encoded] = await codec.encode([jsonPayload('x')]);
    store.rotate('orders');
    const edited = (version: string): Payload => ({
      metadata: { ...encoded!.metadata, [METADATA_KEYS.keyVersion]: utf8.encode(version) },
      data: encoded!.data,
    });
    await expectCode(codec.decode([edited('2')]), ERROR_CODES.decryptionFailed);
    await expectCode(codec.decode([edited('7')]), ERROR_CODES.unknownKeyVersion);
    await expectCode(codec.decode([edited('01')]), ERROR_CODES.malformedMetadata);
    await expectCode(codec.decode([edited('-1')]), ERROR_CODES.malformedMetadata);
  });

  it('rejects unknown formats and missing key ids with typed errors', async () => {
    const { codec } = setup();
    const [encoded] = await codec.encode([jsonPayload('x')]);
    const { [METADATA_KEYS.keyId]: _dropped, ...withoutKeyId } = encoded!.metadata!;
    await expectCode(codec.decode([{ metadata: withoutKeyId, data: encoded!.data }]), ERROR_CODES.malformedMetadata);
    const otherFormat = { ...encoded!.metadata, [METADATA_KEYS.format]: utf8.encode('tvc9') };
    await expectCode(codec.decode([{ metadata: otherFormat, data: encoded!.data }]), ERROR_CODES.unsupportedFormat);
  });

  it('commits to the key: a payload never opens under another key version with the same salt', async () => {
    const { codec, store } = setup();
    const [encoded] = await codec.encode([jsonPayload('x')]);
    store.rotate('orders');
    // Version 2 with the same salt derives a different commitment, so the payload is refused before decryption.
    const forged = {
      metadata: { ...encoded!.metadata, [METADATA_KEYS.keyVersion]: utf8.encode('2') },
      data: encoded!.data,
    };
    await expectCode(codec.decode([forged]), ERROR_CODES.decryptionFailed);
  });

  it('reports each payload of a batch on its own with decodeSettled', async () => {
    const { codec } = setup();
    const [good, bad] = await codec.encode([jsonPayload('good'), jsonPayload('bad')]);
    const broken = { metadata: bad!.metadata, data: Uint8Array.from(bad!.data!).fill(0, 100, 101) };
    const results = await codec.decodeSettled([good!, broken, jsonPayload('plain')]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
  });

  it('draws a fresh salt after maxPayloadsPerDerivedKey payloads and never repeats a nonce', async () => {
    const { codec } = setup('orders', { maxPayloadsPerDerivedKey: 10 });
    const encoded = await Promise.all(
      Array.from({ length: 10 }, () => codec.encode([jsonPayload('x'), jsonPayload('y'), jsonPayload('z')])),
    );
    const all = encoded.flat();
    const salts = new Set(all.map((p) => Buffer.from(p.data!.subarray(0, V1_LAYOUT.salt)).toString('hex')));
    const nonces = new Set(all.map((p) => Buffer.from(p.data!.subarray(64, 76)).toString('hex')));
    expect(salts.size).toBeGreaterThanOrEqual(3);
    expect(nonces.size).toBe(all.length);
    expect((await codec.decode(all)).length).toBe(30);
  });

  it('keeps the per-derived-key budget inside one batch: 10 payloads at a budget of 2 use 5 salts', async () => {
    const { codec } = setup('orders', { maxPayloadsPerDerivedKey: 2 });
    const batch = Array.from({ length: 10 }, (_, i) => jsonPayload(i));
    for (const encode of [codec.encode.bind(codec), codec.encodeSettled.bind(codec)]) {
      const sealed = (await encode(batch)).map((result) =>
        'ok' in result ? (result.ok ? result.payload : undefined) : result,
      );
      const salts = sealed.map((p) => Buffer.from(p!.data!.subarray(0, V1_LAYOUT.salt)).toString('hex'));
      const perSalt = new Map<string, number>();
      for (const salt of salts) perSalt.set(salt, (perSalt.get(salt) ?? 0) + 1);
      expect(perSalt.size).toBe(5);
      expect([...perSalt.values()].every((count) => count === 2)).toBe(true);
      expect((await codec.decode(sealed as Payload[])).map((p) => JSON.parse(text(p.data)) as number)).toEqual(
        batch.map((_, i) => i),
      );
    }
  });

  it('fails a destroyed version with ERR_KEY_VERSION_DESTROYED once the cache has expired', async () => {
    const store = new MemoryKeyStore();
    store.rotate('orders');
    const provider = new CachingKeyProvider(store, { versionMaxAgeMs: 0, latestTtlMs: 0 });
    providers.push(provider);
    const encoder = new EncryptionCodec({ namespace: 'orders', keyProvider: provider });
    const [encoded] = await encoder.encode([jsonPayload('x')]);
    store.rotate('orders');
    store.setState('orders', 1, 'destroyed');
    const decoder = new EncryptionCodec({ namespace: 'orders', keyProvider: provider, decryptKeyMaxAgeMs: 0 });
    await expectCode(decoder.decode([encoded!]), ERROR_CODES.keyVersionDestroyed);
  });

  it('validates its input at the boundary', async () => {
    const { codec } = setup();
    await expectCode(codec.encode('nope' as unknown as Payload[]), ERROR_CODES.invalidArgument);
    await expectCode(codec.encode([{ data: 'str' } as unknown as Payload]), ERROR_CODES.invalidArgument);
    expect(() => new EncryptionCodec({ namespace: '', keyProvider: setup().provider })).toThrow(CodecError);
    expect(() => new EncryptionCodec({ namespace: 'a/b', keyProvider: setup().provider })).toThrow(CodecError);
  });

  it('warmUp fetches the key once so that a later outage still encodes and decodes', async () => {
    const { codec, store } = setup();
    await codec.warmUp();
    expect(store.reads).toBe(1);
    store.failWith = new CodecError(ERROR_CODES.keySourceUnavailable, 'down');
    const [encoded] = await codec.encode([jsonPayload('after warm-up')]);
    expect(JSON.parse(text((await codec.decode([encoded!]))[0]!.data))).toBe('after warm-up');
  });

  it('returns an empty array for an empty batch without asking for a key', async () => {
    const { codec, store } = setup();
    expect(await codec.encode([])).toEqual([]);
    expect(store.reads).toBe(0);
  });
});

describe('unencrypted payloads', () => {
  it('allow (the default) lets them through and reports each one; reject refuses them with ERR_UNENCRYPTED_PAYLOAD', async () => {
    const { provider } = setup('orders');
    const seen: Array<string | undefined> = [];
    const allow = new EncryptionCodec({
      namespace: 'orders',
      keyProvider: provider,
      onUnencrypted: (_namespace, encoding) => seen.push(encoding),
    });
    const forged = jsonPayload('forged plaintext');
    expect(await allow.decode([forged])).toEqual([forged]);
    expect(seen).toEqual(['json/plain']);

    const reject = new EncryptionCodec({ namespace: 'orders', keyProvider: provider, unencrypted: 'reject' });
    await expectCode(reject.decode([forged]), ERROR_CODES.unencryptedPayload);
    const [sealed] = await reject.encode([jsonPayload('genuine')]);
    const results = await reject.decodeSettled([sealed!, forged, { metadata: {}, data: new Uint8Array(0) }]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      ERROR_CODES.unencryptedPayload,
      ERROR_CODES.unencryptedPayload,
    ]);
  });

  it('reject still passes storage references, and encodings on the allow-list', async () => {
    const { provider } = setup('orders');
    const codec = new EncryptionCodec({
      namespace: 'orders',
      keyProvider: provider,
      unencrypted: 'reject',
      allowedUnencryptedEncodings: ['binary/null'],
    });
    const reference: Payload = {
      metadata: {
        encoding: new TextEncoder().encode('json/protobuf'),
        messageType: new TextEncoder().encode(STORAGE_REFERENCE_MESSAGE_TYPE),
      },
      data: new TextEncoder().encode('{}'),
    };
    const nullPayload: Payload = { metadata: { encoding: new TextEncoder().encode('binary/null') } };
    expect(await codec.decode([reference, nullPayload])).toEqual([reference, nullPayload]);
    expect(await codec.encode([reference])).toEqual([reference]);
    expect(() => new EncryptionCodec({ namespace: 'x', keyProvider: provider, unencrypted: 'no' as 'allow' })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidConfig }),
    );
  });
});
