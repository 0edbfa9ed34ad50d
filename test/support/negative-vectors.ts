import { defaultAeadEngine } from '../../codec/aead/select.js';
import { buildAad, deriveKey, seal, sealedLength, zeroDerivedKey } from '../../codec/aes-gcm.js';
import type { CodecErrorCode } from '../../codec/errors.js';
import { FORMAT_IDS } from '../../codec/types.js';
import type { UnencryptedMode } from '../../codec/unencrypted-policy.js';
import { computeVector, VECTOR_INPUTS, type Vector } from './vectors.js';

/**
 * A payload that a decoder must refuse with `expectedError`. The decoder serves `namespace`, whose key id is `keyId`;
 * it knows the root keys in `keys` (version -> hex; any other version is ERR_UNKNOWN_KEY_VERSION) or, in Transit
 * mode, the data keys in `wrappedKeys` (wrapped key -> hex; Transit refuses any other).
 */
export interface NegativeVector {
  readonly kind: 'negative';
  readonly name: string;
  readonly namespace: string;
  readonly keyId: string;
  readonly keys?: Readonly<Record<string, string>>;
  readonly wrappedKeys?: Readonly<Record<string, string>>;
  /** The decode mode for unencrypted payloads; absent means `allow`. */
  readonly unencrypted?: UnencryptedMode;
  /** Metadata values as UTF-8 text, plus `metadataHex` for values that are not UTF-8; `data` as hex. */
  readonly input: {
    readonly metadata: Readonly<Record<string, string>>;
    readonly metadataHex?: Readonly<Record<string, string>>;
    readonly dataHex: string;
  };
  /** For payloads that authenticate: the plaintext that was sealed (informative). */
  readonly sealedPlaintextHex?: string;
  readonly expectedError: CodecErrorCode;
}

const base: Vector = computeVector(VECTOR_INPUTS[0]!);
const rootKey = base.rootKeyHex;
const keys = { [String(base.version)]: rootKey };

/** Seals raw `plaintext` (not necessarily a Payload) with the base vector's key and a fixed salt and nonce. */
export function sealRaw(plaintext: Uint8Array, namespace: string, keyId: string, version: number): string {
  const key = deriveKey(Buffer.from(rootKey, 'hex'), Buffer.alloc(32, 0x5a), keyId, version, defaultAeadEngine());
  const aad = buildAad(FORMAT_IDS.v1, namespace, keyId, version);
  const out = seal(key, aad, Buffer.allocUnsafe(sealedLength(plaintext.length)), 0, plaintext, Buffer.alloc(12, 0x3c));
  zeroDerivedKey(key);
  return out.toString('hex');
}

function flip(hex: string, byteIndex: number, mask: number): string {
  const bytes = Buffer.from(hex, 'hex');
  const index = byteIndex < 0 ? bytes.length + byteIndex : byteIndex;
  bytes[index] = bytes[index]! ^ mask;
  return bytes.toString('hex');
}

type Edit = Partial<Pick<NegativeVector, 'keys' | 'unencrypted' | 'sealedPlaintextHex'>> & {
  readonly metadata?: Readonly<Record<string, string | undefined>>;
  readonly metadataHex?: Readonly<Record<string, string>>;
  readonly dataHex?: string;
  readonly namespace?: string;
  readonly keyId?: string;
};

/** The base vector's sealed payload decoded in its own namespace, with `edit` applied. */
function negative(name: string, expectedError: CodecErrorCode, edit: Edit = {}): NegativeVector {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base.expected.metadata, ...edit.metadata }))
    if (v !== undefined) metadata[k] = v;
  for (const k of Object.keys(edit.metadataHex ?? {})) delete metadata[k];
  return {
    kind: 'negative',
    name,
    namespace: edit.namespace ?? base.namespace,
    keyId: edit.keyId ?? base.keyId,
    keys: edit.keys ?? keys,
    ...(edit.unencrypted === undefined ? {} : { unencrypted: edit.unencrypted }),
    input: {
      metadata,
      ...(edit.metadataHex === undefined ? {} : { metadataHex: edit.metadataHex }),
      dataHex: edit.dataHex ?? base.expected.dataHex,
    },
    ...(edit.sealedPlaintextHex === undefined ? {} : { sealedPlaintextHex: edit.sealedPlaintextHex }),
    expectedError,
  };
}

const malformedVersions = ['0', '01', 'abc', '4294967296', '-1', '+1', ' 1', '1.0', ''];
// Not a Payload: field 1 claims 127 bytes and the message ends.
const notAPayload = Buffer.from('0a7f', 'hex');
// A Payload whose one metadata entry has a key that is not UTF-8.
const nonUtf8InnerKey = Buffer.from('0a070a01ff12020102', 'hex');
const dataHex = base.expected.dataHex;

/** The negative vectors: each names the first check that refuses the payload. */
export const NEGATIVE_VECTORS: readonly NegativeVector[] = [
  negative('flipped ciphertext bit', 'ERR_DECRYPTION_FAILED', { dataHex: flip(dataHex, 76, 0x01) }),
  negative('flipped tag bit', 'ERR_DECRYPTION_FAILED', { dataHex: flip(dataHex, -1, 0x80) }),
  negative('wrong commitment', 'ERR_DECRYPTION_FAILED', { dataHex: flip(dataHex, 32, 0x01) }),
  negative('flipped salt bit', 'ERR_DECRYPTION_FAILED', { dataHex: flip(dataHex, 0, 0x01) }),
  negative('flipped nonce bit', 'ERR_DECRYPTION_FAILED', { dataHex: flip(dataHex, 64, 0x01) }),
  negative('truncated to 91 bytes', 'ERR_PAYLOAD_TRUNCATED', { dataHex: dataHex.slice(0, 91 * 2) }),
  negative('empty data', 'ERR_PAYLOAD_TRUNCATED', { dataHex: '' }),
  negative('missing key id', 'ERR_MALFORMED_METADATA', { metadata: { 'encryption-key-id': undefined } }),
  negative('empty key id', 'ERR_MALFORMED_METADATA', { metadata: { 'encryption-key-id': '' } }),
  negative('missing key version', 'ERR_MALFORMED_METADATA', { metadata: { 'encryption-key-version': undefined } }),
  ...malformedVersions.map((version) =>
    negative(`malformed key version ${JSON.stringify(version)}`, 'ERR_MALFORMED_METADATA', {
      metadata: { 'encryption-key-version': version },
    }),
  ),
  negative('unknown format', 'ERR_UNSUPPORTED_FORMAT', {
    metadata: { 'encryption-format': 'tvc2-aes256gcm-hkdf-sha256-commit' },
  }),
  negative('missing format', 'ERR_UNSUPPORTED_FORMAT', { metadata: { 'encryption-format': undefined } }),
  negative('unknown format is reported before a missing key id', 'ERR_UNSUPPORTED_FORMAT', {
    metadata: { 'encryption-format': 'other', 'encryption-key-id': undefined },
  }),
  negative("another namespace's key id", 'ERR_NAMESPACE_MISMATCH', {
    metadata: { 'encryption-key-id': 'billing' },
  }),
  negative('a malformed version is reported before a foreign key id', 'ERR_MALFORMED_METADATA', {
    metadata: { 'encryption-key-id': 'billing', 'encryption-key-version': '01' },
  }),
  negative('a foreign key id is reported before truncation', 'ERR_NAMESPACE_MISMATCH', {
    metadata: { 'encryption-key-id': 'billing' },
    dataHex: dataHex.slice(0, 20),
  }),
  negative("same key id, sealed with another namespace's AAD", 'ERR_DECRYPTION_FAILED', {
    namespace: 'orders-us',
    keyId: 'orders-shared',
    metadata: { 'encryption-key-id': 'orders-shared' },
    dataHex: sealRaw(Buffer.from(base.expected.serializedPayloadHex, 'hex'), 'orders-eu', 'orders-shared', 1),
  }),
  negative('edited version (both versions hold the same root key)', 'ERR_DECRYPTION_FAILED', {
    metadata: { 'encryption-key-version': '2' },
    keys: { '1': rootKey, '2': rootKey },
  }),
  negative('unknown version', 'ERR_UNKNOWN_KEY_VERSION', { metadata: { 'encryption-key-version': '2' } }),
  negative('authenticated plaintext that is not a Payload', 'ERR_MALFORMED_METADATA', {
    dataHex: sealRaw(notAPayload, 'orders', 'orders', 1),
    sealedPlaintextHex: notAPayload.toString('hex'),
  }),
  negative('authenticated Payload with a metadata key that is not UTF-8', 'ERR_MALFORMED_METADATA', {
    dataHex: sealRaw(nonUtf8InnerKey, 'orders', 'orders', 1),
    sealedPlaintextHex: nonUtf8InnerKey.toString('hex'),
  }),
  negative('key id that is not UTF-8', 'ERR_MALFORMED_METADATA', {
    metadataHex: { 'encryption-key-id': 'ff6f7264657273' },
  }),
  negative('format that is not UTF-8', 'ERR_MALFORMED_METADATA', {
    metadataHex: { 'encryption-format': 'c0af' },
  }),
  negative('unencrypted payload in reject mode', 'ERR_UNENCRYPTED_PAYLOAD', {
    unencrypted: 'reject',
    metadata: {
      encoding: 'json/plain',
      'encryption-format': undefined,
      'encryption-key-id': undefined,
      'encryption-key-version': undefined,
    },
    dataHex: Buffer.from('{"customer":"Mallory","total":0}').toString('hex'),
  }),
  negative('encoding other than exactly binary/encrypted is unencrypted (reject mode)', 'ERR_UNENCRYPTED_PAYLOAD', {
    unencrypted: 'reject',
    metadata: { encoding: 'Binary/Encrypted' },
  }),
  negative('payload without metadata in reject mode', 'ERR_UNENCRYPTED_PAYLOAD', {
    unencrypted: 'reject',
    metadata: {
      encoding: undefined,
      'encryption-format': undefined,
      'encryption-key-id': undefined,
      'encryption-key-version': undefined,
    },
    dataHex: '',
  }),
];
