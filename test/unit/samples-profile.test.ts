import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CachingKeyProvider,
  EncryptionCodec,
  ERROR_CODES,
  MemoryKeyStore,
  MultiNamespaceCodec,
  samplesKeysFromFile,
  type SamplesKeySource,
  type SamplesProfileOptions,
} from '../../codec/index.js';
import { sealLikeSamples } from '../support/samples-sealer.js';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const sources: SamplesKeySource[] = [];

function keysFile(content: unknown): SamplesKeySource {
  const dir = mkdtempSync(join(tmpdir(), 'samples-keys-'));
  const path = join(dir, 'keys.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  const source = samplesKeysFromFile(path);
  sources.push(source);
  return source;
}

function codecWith(profile?: Partial<SamplesProfileOptions>, namespace = 'orders'): EncryptionCodec {
  const store = new MemoryKeyStore();
  store.rotate(namespace);
  const keys = keysFile({ 'key-a': KEY_A.toString('base64'), 'key-b': KEY_B.toString('hex') });
  return new EncryptionCodec({
    namespace,
    keyProvider: new CachingKeyProvider(store),
    ...(profile === undefined ? {} : { samplesProfile: { keys, ...profile } }),
  });
}

function payload(text: string): Payload {
  return { metadata: { encoding: Buffer.from('json/plain'), 'x-trace': Buffer.from('t1') }, data: Buffer.from(text) };
}

function expectSame(actual: Payload | undefined, expected: Payload): void {
  expect(Buffer.from(actual?.data ?? []).toString()).toBe(Buffer.from(expected.data ?? []).toString());
  expect(Object.keys(actual?.metadata ?? {}).sort()).toEqual(Object.keys(expected.metadata ?? {}).sort());
  for (const [name, value] of Object.entries(expected.metadata ?? {})) {
    expect(Buffer.from(actual!.metadata![name]!).equals(Buffer.from(value))).toBe(true);
  }
}

async function decodeCode(codec: EncryptionCodec, input: Payload): Promise<string | undefined> {
  const [result] = await codec.decodeSettled([input]);
  return result?.ok === false ? result.error.code : undefined;
}

afterEach(() => {
  for (const source of sources.splice(0)) source.close();
});

describe('the samples profile', () => {
  it('opens payloads sealed as the Go and Python samples do, under the key of the key id they name', async () => {
    const codec = codecWith({});
    const inputs = [payload('"first"'), payload(''), payload('x'.repeat(70_000))];
    const sealed = [
      sealLikeSamples(inputs[0]!, 'key-a', KEY_A),
      sealLikeSamples(inputs[1]!, 'key-b', KEY_B),
      sealLikeSamples(inputs[2]!, 'key-a', KEY_A),
    ];
    const decoded = await codec.decode(sealed);
    inputs.forEach((input, i) => expectSame(decoded[i], input));
    const settled = await codec.decodeSettled(sealed);
    expect(settled.map((result) => result.ok && result.key)).toEqual([
      { keyId: 'key-a', version: 0 },
      { keyId: 'key-b', version: 0 },
      { keyId: 'key-a', version: 0 },
    ]);
  });

  it('opens the TypeScript sample\'s length-delimited payloads with serialization "length-delimited"', async () => {
    const codec = codecWith({ serialization: 'length-delimited' });
    const input = payload('{"ts":true}');
    const [decoded] = await codec.decode([sealLikeSamples(input, 'key-a', KEY_A, 'length-delimited')]);
    expectSame(decoded, input);
    const plain = codecWith({});
    expect(await decodeCode(plain, sealLikeSamples(input, 'key-a', KEY_A, 'length-delimited'))).toBe(
      ERROR_CODES.malformedMetadata,
    );
  });

  it('decodes v1 payloads of this library beside samples payloads in one batch', async () => {
    const codec = codecWith({});
    const [ours] = await codec.encode([payload('"ours"')]);
    const decoded = await codec.decode([ours!, sealLikeSamples(payload('"theirs"'), 'key-a', KEY_A)]);
    expectSame(decoded[0], payload('"ours"'));
    expectSame(decoded[1], payload('"theirs"'));
  });

  it('never encodes in the samples format: encode writes v1 with encryption-format', async () => {
    const [sealed] = await codecWith({}).encode([payload('"x"')]);
    expect(sealed?.metadata?.['encryption-format']).toBeDefined();
  });

  it('fails an edited ciphertext, tag or nonce with ERR_DECRYPTION_FAILED, and a wrong key too', async () => {
    const codec = codecWith({});
    const sealed = sealLikeSamples(payload('"secret"'), 'key-a', KEY_A);
    for (const at of [0, 12, sealed.data!.length - 1]) {
      const data = Buffer.from(sealed.data!);
      data[at]! ^= 1;
      expect(await decodeCode(codec, { ...sealed, data })).toBe(ERROR_CODES.decryptionFailed);
    }
    const wrongKey = { ...sealed, metadata: { ...sealed.metadata, 'encryption-key-id': Buffer.from('key-b') } };
    expect(await decodeCode(codec, wrongKey)).toBe(ERROR_CODES.decryptionFailed);
  });

  it('fails data shorter than nonce and tag with ERR_PAYLOAD_TRUNCATED', async () => {
    const sealed = sealLikeSamples(payload(''), 'key-a', KEY_A);
    expect(await decodeCode(codecWith({}), { ...sealed, data: sealed.data!.subarray(0, 27) })).toBe(
      ERROR_CODES.truncated,
    );
  });

  it('fails an unknown key id with ERR_UNKNOWN_KEY and a missing one with ERR_MALFORMED_METADATA', async () => {
    const codec = codecWith({});
    expect(await decodeCode(codec, sealLikeSamples(payload('"x"'), 'key-zz', randomBytes(32)))).toBe(
      ERROR_CODES.unknownKey,
    );
    const sealed = sealLikeSamples(payload('"x"'), 'key-a', KEY_A);
    expect(await decodeCode(codec, { ...sealed, metadata: { encoding: sealed.metadata!.encoding! } })).toBe(
      ERROR_CODES.malformedMetadata,
    );
  });

  it('refuses samples payloads with ERR_UNSUPPORTED_FORMAT when the profile is not configured', async () => {
    const codec = codecWith(undefined);
    expect(await decodeCode(codec, sealLikeSamples(payload('"x"'), 'key-a', KEY_A))).toBe(
      ERROR_CODES.unsupportedFormat,
    );
    await expect(codec.decode([sealLikeSamples(payload('"x"'), 'key-a', KEY_A)])).rejects.toMatchObject({
      code: ERROR_CODES.unsupportedFormat,
    });
  });

  it('limits key ids per namespace when namespaceKeyIds is set (ERR_NAMESPACE_MISMATCH otherwise)', async () => {
    const store = new MemoryKeyStore();
    const codecs = new MultiNamespaceCodec({
      defaultNamespace: 'orders',
      keyProvider: new CachingKeyProvider(store),
      samplesProfile: {
        keys: keysFile({ 'key-a': KEY_A.toString('base64'), 'key-b': KEY_B.toString('base64') }),
        namespaceKeyIds: { orders: ['key-a'], payments: ['key-b'] },
      },
    });
    const sealedA = sealLikeSamples(payload('"a"'), 'key-a', KEY_A);
    const [opened] = await codecs.forNamespace('orders').decodeSettled([sealedA]);
    expect(opened?.ok).toBe(true);
    for (const namespace of ['payments', 'billing']) {
      const [refused] = await codecs.forNamespace(namespace).decodeSettled([sealedA]);
      expect(refused?.ok === false && refused.error.code).toBe(ERROR_CODES.namespaceMismatch);
    }
  });

  it('refuses a keys file entry that is not 32 bytes (ERR_INVALID_KEY_MATERIAL) and a file that is not JSON', async () => {
    const sealed = sealLikeSamples(payload('"x"'), 'key-a', KEY_A);
    const short = new EncryptionCodec({
      namespace: 'orders',
      keyProvider: new CachingKeyProvider(new MemoryKeyStore()),
      samplesProfile: { keys: keysFile({ 'key-a': randomBytes(16).toString('base64') }) },
    });
    expect(await decodeCode(short, sealed)).toBe(ERROR_CODES.invalidKeyMaterial);
    const garbled = new EncryptionCodec({
      namespace: 'orders',
      keyProvider: new CachingKeyProvider(new MemoryKeyStore()),
      samplesProfile: { keys: keysFile('{ not json') },
    });
    expect(await decodeCode(garbled, sealed)).toBe(ERROR_CODES.invalidConfig);
  });

  it('refuses a profile without a key source at construction (ERR_INVALID_CONFIG)', () => {
    expect(
      () =>
        new EncryptionCodec({
          namespace: 'orders',
          keyProvider: new CachingKeyProvider(new MemoryKeyStore()),
          samplesProfile: {} as SamplesProfileOptions,
        }),
    ).toThrow(expect.objectContaining({ code: ERROR_CODES.invalidConfig }));
  });
});
