import type { Payload } from '@temporalio/common';
import type { AeadEngine } from '../../codec/aead/engine.js';
import { defaultAeadEngine } from '../../codec/aead/select.js';
import { buildAad, deriveKey, zeroDerivedKey } from '../../codec/aes-gcm.js';
import { sealPayload } from '../../codec/seal-payload.js';
import { serializePayloadBytes } from '../../codec/payload-proto.js';
import { FORMAT_IDS } from '../../codec/types.js';
import { buildEncryptedMetadata } from '../../codec/wire-format.js';

/** Inputs of one test vector of the wire-format spec. */
export interface VectorInput {
  readonly kind: 'positive';
  readonly name: string;
  readonly namespace: string;
  readonly keyId: string;
  readonly version: number;
  readonly rootKeyHex: string;
  readonly saltHex: string;
  readonly nonceHex: string;
  /**
   * The original payload: metadata values and data as UTF-8 text; `externalPayloads` (field 3, `size_bytes` as a
   * decimal string as in protobuf JSON) only where present.
   */
  readonly payload: {
    readonly metadata: Record<string, string>;
    readonly data: string;
    readonly externalPayloads?: readonly { readonly sizeBytes: string }[];
  };
}

/** Inputs plus every intermediate and final value, all hex except metadata (text). */
export interface Vector extends VectorInput {
  readonly expected: {
    readonly serializedPayloadHex: string;
    readonly aesKeyHex: string;
    readonly commitmentHex: string;
    readonly aadHex: string;
    readonly metadata: Record<string, string>;
    readonly dataHex: string;
  };
}

const utf8 = new TextEncoder();

/** The original payload of a vector as a Temporal `Payload`. */
export function vectorPayload(input: Pick<VectorInput, 'payload'>): Payload {
  const metadata = Object.fromEntries(Object.entries(input.payload.metadata).map(([k, v]) => [k, utf8.encode(v)]));
  const external = input.payload.externalPayloads;
  if (external === undefined) return { metadata, data: utf8.encode(input.payload.data) };
  const externalPayloads = external.map((detail) => ({ sizeBytes: Number(detail.sizeBytes) }));
  // protobufjs writes an int64 given as a number; the generated type names only Long.
  return { metadata, data: utf8.encode(input.payload.data), externalPayloads } as unknown as Payload;
}

/**
 * Computes a vector's expected values with the library's own primitives and a fixed salt and nonce, sealing with
 * `engine` (default: the codecs' default engine). `wrappedKey` (Transit mode) goes into the metadata.
 */
export function computeVector(
  input: VectorInput,
  engine: AeadEngine = defaultAeadEngine(),
  wrappedKey?: string,
): Vector {
  const payload = vectorPayload(input);
  const key = deriveKey(
    Buffer.from(input.rootKeyHex, 'hex'),
    Buffer.from(input.saltHex, 'hex'),
    input.keyId,
    input.version,
    engine,
  );
  const aad = buildAad(FORMAT_IDS.v1, input.namespace, input.keyId, input.version);
  const data = sealPayload(key, aad, payload, Buffer.from(input.nonceHex, 'hex'));
  const metadata = buildEncryptedMetadata(FORMAT_IDS.v1, {
    keyId: input.keyId,
    version: input.version,
    ...(wrappedKey === undefined ? {} : { wrappedKey }),
  });
  const aesKeyHex = key.encryptionKey.toString('hex');
  const commitmentHex = key.commitment.toString('hex');
  zeroDerivedKey(key);
  return {
    ...input,
    expected: {
      serializedPayloadHex: Buffer.from(serializePayloadBytes(payload)).toString('hex'),
      aesKeyHex,
      commitmentHex,
      aadHex: aad.toString('hex'),
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, new TextDecoder().decode(v)])),
      dataHex: data.toString('hex'),
    },
  };
}

const hexRange = (from: number, count: number): string =>
  Buffer.from(Array.from({ length: count }, (_, i) => (from + i) & 0xff)).toString('hex');

/** The inputs of the published vectors (docs/test-vectors.json). */
export const VECTOR_INPUTS: readonly VectorInput[] = [
  {
    kind: 'positive',
    name: 'json payload, version 1',
    namespace: 'orders',
    keyId: 'orders',
    version: 1,
    rootKeyHex: hexRange(0x00, 32),
    saltHex: hexRange(0xa0, 32),
    nonceHex: hexRange(0xc0, 12),
    payload: { metadata: { encoding: 'json/plain' }, data: '{"customer":"Alice","total":42}' },
  },
  {
    kind: 'positive',
    name: 'empty payload (no metadata, no data), version 7',
    namespace: 'default',
    keyId: 'default',
    version: 7,
    rootKeyHex: hexRange(0x40, 32),
    saltHex: hexRange(0x10, 32),
    nonceHex: '000000000000000000000000',
    payload: { metadata: {}, data: '' },
  },
  {
    kind: 'positive',
    name: 'two metadata entries, non-ASCII namespace, largest version',
    namespace: 'zahlungen-ä',
    keyId: 'zahlungen-ä',
    version: 4294967295,
    rootKeyHex: 'ff'.repeat(32),
    saltHex: '00'.repeat(32),
    nonceHex: 'ffffffffffffffffffffffff',
    payload: { metadata: { encoding: 'json/protobuf', messageType: 'orders.v1.Order' }, data: 'héllo wörld' },
  },
  {
    kind: 'positive',
    name: 'external payload details (generated protobuf encoding), empty data omitted',
    namespace: 'orders',
    keyId: 'orders',
    version: 2,
    rootKeyHex: hexRange(0x20, 32),
    saltHex: hexRange(0x60, 32),
    nonceHex: hexRange(0x90, 12),
    payload: {
      metadata: { encoding: 'json/plain', 'temporal.io/external': 'blob' },
      data: '',
      externalPayloads: [{ sizeBytes: '1048576' }, { sizeBytes: '0' }],
    },
  },
];
