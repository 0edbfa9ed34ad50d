import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import {
  CachingKeyProvider,
  CodecError,
  EncryptionCodec,
  isEncrypted,
  MemoryKeyStore,
  METADATA_KEYS,
} from '../codec/index.js';

/**
 * Properties of the wire-format decoder, shared by the unit test (a few thousand cases) and `npm run fuzz`
 * (100,000+). Every input must give either the original payload (only when the bytes are unmodified), the input
 * unchanged (when it is not marked encrypted), or a CodecError: never another exception, a hang, or other bytes.
 */

const utf8 = new TextEncoder();

/** Codecs and genuine encrypted payloads to mutate. */
export interface FuzzFixture {
  readonly codec: EncryptionCodec;
  readonly originals: readonly Payload[];
  readonly encrypted: readonly Payload[];
  /** Encrypted payloads from another namespace and another key version, for metadata swaps. */
  readonly foreign: readonly Payload[];
  close(): Promise<void>;
}

/** Builds the fixture: namespace `fuzz` with two key versions, and a second namespace. */
export async function createFuzzFixture(): Promise<FuzzFixture> {
  const store = new MemoryKeyStore();
  store.rotate('fuzz');
  store.rotate('other');
  const provider = new CachingKeyProvider(store, { latestTtlMs: 0 });
  const codec = new EncryptionCodec({ namespace: 'fuzz', keyProvider: provider });
  const originals: Payload[] = [
    { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode('{"secret":"fuzz-plaintext"}') },
    { metadata: {}, data: new Uint8Array(0) },
    {
      metadata: { encoding: utf8.encode('binary/plain'), messageType: utf8.encode('x.y') },
      data: new Uint8Array(300).fill(7),
    },
  ];
  const encryptedV1 = await codec.encode(originals);
  store.rotate('fuzz');
  const encryptedV2 = await codec.encode(originals.slice(0, 1));
  const foreign = [
    ...(await new EncryptionCodec({ namespace: 'other', keyProvider: provider }).encode(originals.slice(0, 1))),
    ...encryptedV2,
  ];
  return { codec, originals, encrypted: encryptedV1, foreign, close: () => provider.close() };
}

type Mutation = (payload: Payload, fixture: FuzzFixture) => Payload;

const withData = (payload: Payload, data: Uint8Array): Payload => ({ metadata: { ...payload.metadata }, data });
const withMeta = (payload: Payload, key: string, value: Uint8Array | undefined): Payload => {
  const metadata = { ...payload.metadata };
  if (value === undefined) delete metadata[key];
  else metadata[key] = value;
  return { metadata, data: payload.data };
};

/** Arbitrary mutations of a genuine encrypted payload. */
export function mutationArbitrary(): fc.Arbitrary<Mutation> {
  const bytes = fc.uint8Array({ maxLength: 64 });
  const metaKey = fc.constantFrom(
    METADATA_KEYS.keyVersion,
    METADATA_KEYS.keyId,
    METADATA_KEYS.format,
    METADATA_KEYS.encoding,
    METADATA_KEYS.wrappedKey,
  );
  return fc.oneof(
    fc.array(fc.nat(), { minLength: 1, maxLength: 8 }).map((bits): Mutation => (p) => {
      const data = Uint8Array.from(p.data!);
      for (const bit of bits) data[(bit >> 3) % data.length]! ^= 1 << (bit & 7);
      return withData(p, data);
    }),
    fc.nat().map(
      (n): Mutation =>
        (p) =>
          withData(p, p.data!.subarray(0, n % p.data!.length)),
    ),
    bytes.map(
      (extra): Mutation =>
        (p) =>
          withData(p, Uint8Array.from([...p.data!, ...extra])),
    ),
    fc.uint8Array({ maxLength: 400 }).map(
      (random): Mutation =>
        (p) =>
          withData(p, random),
    ),
    fc.tuple(metaKey, fc.option(bytes, { nil: undefined })).map(
      ([key, value]): Mutation =>
        (p) =>
          withMeta(p, key, value),
    ),
    fc.tuple(metaKey, fc.string({ maxLength: 20 })).map(
      ([key, value]): Mutation =>
        (p) =>
          withMeta(p, key, utf8.encode(value)),
    ),
    fc.tuple(metaKey, fc.constantFrom('0', '01', '-1', '1.0', '4294967296', '99999999999', '2', '1 ', ' 1', '١')).map(
      ([key, value]): Mutation =>
        (p) =>
          withMeta(p, key, utf8.encode(value)),
    ),
    fc.nat().map((i): Mutation => (p, f) => ({ metadata: f.foreign[i % f.foreign.length]!.metadata, data: p.data })),
    fc.nat().map((i): Mutation => (p, f) => ({ metadata: p.metadata, data: f.foreign[i % f.foreign.length]!.data })),
    fc.constant<Mutation>((p) => withData(p, new Uint8Array(0))),
    fc.constant<Mutation>((p) => ({ metadata: p.metadata })),
    fc.constant<Mutation>((p) => withData(p, new Uint8Array(2 * 1024 * 1024).fill(0xab))),
    fc.constant<Mutation>((p) => withMeta(p, 'x'.repeat(10_000), new Uint8Array(100_000))),
    fc.constant<Mutation>((p) => p),
  );
}

/** What went wrong with one case, or undefined when the outcome is allowed. */
export async function checkDecode(
  fixture: FuzzFixture,
  input: Payload,
  original: Payload | undefined,
): Promise<string | undefined> {
  let result: Payload;
  try {
    [result] = (await fixture.codec.decode([input])) as [Payload];
  } catch (err) {
    return err instanceof CodecError ? undefined : `untyped error: ${String(err)}`;
  }
  if (!isEncrypted(input)) return result === input ? undefined : 'unencrypted input was not passed through unchanged';
  if (original === undefined) return 'decoded an input that has no original';
  const same = Buffer.from(result.data ?? []).equals(Buffer.from(original.data ?? []));
  const sameMeta =
    JSON.stringify(Object.entries(result.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('hex')])) ===
    JSON.stringify(Object.entries(original.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('hex')]));
  return same && sameMeta ? undefined : 'decoded to something other than the original';
}

/** The original a (possibly mutated) payload may legitimately decode to: the one sealed with the same bytes. */
export function originalFor(fixture: FuzzFixture, input: Payload): Payload | undefined {
  const index = fixture.encrypted.findIndex((e) => Buffer.from(e.data ?? []).equals(Buffer.from(input.data ?? [])));
  return index === -1 ? undefined : fixture.originals[index];
}

/** Fully random payload-shaped objects (random metadata maps and data). */
export function randomPayloadArbitrary(): fc.Arbitrary<Payload> {
  return fc.record({
    metadata: fc.dictionary(
      fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...Object.values(METADATA_KEYS))),
      fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.constant(utf8.encode('binary/encrypted'))),
    ),
    data: fc.uint8Array({ maxLength: 300 }),
  });
}
