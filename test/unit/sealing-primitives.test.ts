import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { defaultAeadEngine } from '../../codec/aead/select.js';
import { buildAad, deriveKey, NonceSequence, openSealed } from '../../codec/aes-gcm.js';
import { deserializePayload } from '../../codec/payload-parse.js';
import {
  extendedPayloadBytes,
  payloadHeadLength,
  serializePayloadBytes,
  writePayloadHead,
} from '../../codec/payload-proto.js';
import { sealPayload } from '../../codec/seal-payload.js';
import { FORMAT_IDS, METADATA_KEYS, V1_LAYOUT } from '../../codec/types.js';
import { encryptedMetadataFactory } from '../../codec/wire-format.js';

const utf8 = new TextEncoder();

function nonceOf(sequence: NonceSequence): string {
  const out = Buffer.alloc(V1_LAYOUT.nonce);
  sequence.write(out, 0);
  return out.toString('hex');
}

describe('NonceSequence', () => {
  it('is the base XOR a big-endian counter in the last four bytes', () => {
    const base = Buffer.from('0102030405060708090a0b0c', 'hex');
    const sequence = new NonceSequence(base);
    expect(nonceOf(sequence)).toBe('0102030405060708090a0b0c');
    expect(nonceOf(sequence)).toBe('0102030405060708090a0b0d');
    expect(nonceOf(sequence)).toBe('0102030405060708090a0b0e');
    for (let i = 3; i < 0x1_0000; i++) nonceOf(sequence);
    expect(nonceOf(sequence)).toBe('0102030405060708090b0b0c');
  });

  it('never repeats within a sequence and writes at the offset it is given', () => {
    const sequence = new NonceSequence();
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(nonceOf(sequence));
    expect(seen.size).toBe(100_000);
    const out = Buffer.alloc(20, 0xee);
    sequence.write(out, 4);
    expect(out.subarray(0, 4).toString('hex')).toBe('eeeeeeee');
    expect(out.subarray(16).toString('hex')).toBe('eeeeeeee');
  });

  it('draws a random base per sequence and refuses a base of the wrong length', () => {
    expect(nonceOf(new NonceSequence())).not.toBe(nonceOf(new NonceSequence()));
    expect(() => new NonceSequence(new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('payload serialization', () => {
  const cases: Array<[string, Payload]> = [
    ['typical', { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode('{"a":1}') }],
    ['empty data', { metadata: { encoding: utf8.encode('binary/null') }, data: new Uint8Array(0) }],
    ['no metadata', { data: randomBytes(300) }],
    ['non-ASCII key', { metadata: { 'clé-ключ': utf8.encode('v') }, data: utf8.encode('z') }],
    ['multi-byte lengths', { metadata: { big: randomBytes(200) }, data: randomBytes(70_000) }],
  ];

  it.each(cases)('writes the same bytes as the generated Payload codec: %s', (_name, payload) => {
    const head = new Uint8Array(payloadHeadLength(payload));
    writePayloadHead(payload, head, 0);
    expect(extendedPayloadBytes(payload)).toBeUndefined();
    const ours = Buffer.concat([head, payload.data ?? new Uint8Array(0)]);
    expect(ours.equals(Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish()))).toBe(true);
    expect(ours.equals(Buffer.from(serializePayloadBytes(payload)))).toBe(true);
  });

  it('skips null metadata values (the generated codec cannot encode them at all)', () => {
    const payload = { metadata: { a: utf8.encode('x'), b: null as unknown as Uint8Array }, data: utf8.encode('y') };
    const withoutNull = { metadata: { a: utf8.encode('x') }, data: utf8.encode('y') };
    expect(Buffer.from(serializePayloadBytes(payload))).toEqual(Buffer.from(serializePayloadBytes(withoutNull)));
  });

  it('hands payloads with other fields to the generated codec whole', () => {
    const payload = { data: utf8.encode('x'), externalPayloads: [{ sizeBytes: 7 }] } as unknown as Payload;
    const whole = Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish());
    expect(Buffer.from(extendedPayloadBytes(payload)!).equals(whole)).toBe(true);
    expect(Buffer.from(serializePayloadBytes(payload)).equals(whole)).toBe(true);
  });
});

describe('sealPayload', () => {
  it('seals head and body in one buffer for small and large bodies alike', () => {
    const key = deriveKey(randomBytes(32), randomBytes(32), 'orders', 1, defaultAeadEngine());
    const aad = buildAad(FORMAT_IDS.v1, 'orders', 'orders', 1);
    const nonces = new NonceSequence();
    for (const size of [0, 1, 16 * 1024, 16 * 1024 + 1, 1 << 20]) {
      const payload: Payload = { metadata: { encoding: utf8.encode('binary/plain') }, data: randomBytes(size) };
      const sealed = sealPayload(key, aad, payload, nonces);
      const opened = openSealed(key, aad, sealed);
      expect(opened.equals(Buffer.from(serializePayloadBytes(payload)))).toBe(true);
    }
    const extended = { data: utf8.encode('x'), externalPayloads: [{ sizeBytes: 7 }] } as unknown as Payload;
    const opened = openSealed(key, aad, sealPayload(key, aad, extended, nonces));
    expect(opened.equals(Buffer.from(serializePayloadBytes(extended)))).toBe(true);
  });
});

describe('encrypted metadata', () => {
  it('names exactly the documented keys, with and without a wrapped key, in a fresh object each time', () => {
    const plain = encryptedMetadataFactory(FORMAT_IDS.v1, { keyId: 'orders', version: 3 });
    const wrapped = encryptedMetadataFactory(FORMAT_IDS.v1, { keyId: 'orders', version: 3, wrappedKey: 'vault:v3:x' });
    const keys = [METADATA_KEYS.encoding, METADATA_KEYS.format, METADATA_KEYS.keyId, METADATA_KEYS.keyVersion];
    expect(Object.keys(plain()).sort()).toEqual([...keys].sort());
    expect(Object.keys(wrapped()).sort()).toEqual([...keys, METADATA_KEYS.wrappedKey].sort());
    expect(new TextDecoder().decode(wrapped()[METADATA_KEYS.wrappedKey])).toBe('vault:v3:x');
    expect(new TextDecoder().decode(plain()[METADATA_KEYS.keyVersion])).toBe('3');
    expect(plain()).not.toBe(plain());
  });
});

describe('deserializePayload', () => {
  const utf8 = new TextEncoder();

  it('reads a valid Payload whose last field is an unknown varint (the wire type is checked before a length)', () => {
    const payload: Payload = { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode('"x"') };
    for (const unknown of [
      [0x28, 0x01],
      [0x28, 0xff, 0x01],
      [0x31, 1, 2, 3, 4, 5, 6, 7, 8],
      [0x3d, 1, 2, 3, 4],
    ]) {
      const bytes = Uint8Array.from([...serializePayloadBytes(payload), ...unknown]);
      const decoded = deserializePayload(bytes);
      expect(Buffer.from(decoded.data!).toString()).toBe('"x"');
      expect(Buffer.from(decoded.metadata!.encoding!).toString()).toBe('json/plain');
    }
  });

  it('keeps a __proto__ metadata key as an ordinary entry, whichever decoder reads it', () => {
    const metadata = Object.create(null) as Record<string, Uint8Array>;
    metadata.__proto__ = utf8.encode('evil');
    metadata.encoding = utf8.encode('json/plain');
    const plain = serializePayloadBytes({ metadata, data: utf8.encode('1') });
    // An unknown field sends the bytes to the generated decoder, which assigns entries to a plain object.
    const withUnknown = Uint8Array.from([...plain, 0x28, 0x01]);
    for (const bytes of [plain, withUnknown]) {
      const decoded = deserializePayload(bytes).metadata!;
      expect(Object.getPrototypeOf(decoded)).toBeNull();
      expect(Object.keys(decoded).sort()).toEqual(['__proto__', 'encoding']);
      expect(Buffer.from(decoded.__proto__!).toString()).toBe('evil');
      expect(Buffer.from(decoded.encoding!).toString()).toBe('json/plain');
    }
  });
});
