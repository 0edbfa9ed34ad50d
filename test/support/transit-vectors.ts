import { KEY_SOURCE_DEFAULTS } from '../../codec/keys/key-source.js';
import { computeVector, type Vector } from './vectors.js';
import type { NegativeVector } from './negative-vectors.js';

/**
 * A payload sealed in Transit envelope mode. Vault Transit's `datakey/plaintext` on the Transit key `transitKeyName`
 * with derivation context `derivationContext` answered the data key `dataKeyHex` wrapped as `wrappedKey`
 * (`vault:vN:...`); the data key is the HKDF root key, `N` is the payload's key version, and the wrapped key travels
 * in the metadata field `encryption-wrapped-key`.
 */
export interface TransitVector extends Omit<Vector, 'kind' | 'rootKeyHex'> {
  readonly kind: 'transit';
  readonly transitKeyName: string;
  readonly derivationContext: string;
  readonly wrappedKey: string;
  readonly dataKeyHex: string;
}

/** The inputs of a Transit vector. */
export type TransitVectorInput = Omit<TransitVector, 'transitKeyName' | 'derivationContext' | 'expected'>;

/**
 * The wrapped key is opaque to the format: only its `vault:vN:` prefix is read. These are shaped like Transit's
 * (`vault:vN:` and the base64 of a 12-byte nonce, the 32-byte key and a 16-byte tag) but wrap nothing real.
 */
function wrappedKeyOf(version: number, fill: number): string {
  return `vault:v${version}:${Buffer.alloc(60, fill).toString('base64')}`;
}

export const TRANSIT_VECTOR_INPUTS: readonly TransitVectorInput[] = [
  {
    kind: 'transit',
    name: 'transit envelope: json payload, Transit key version 3',
    namespace: 'payments',
    keyId: 'payments',
    version: 3,
    wrappedKey: wrappedKeyOf(3, 0x7e),
    dataKeyHex: Buffer.alloc(32, 0x11).toString('hex'),
    saltHex: Buffer.alloc(32, 0x22).toString('hex'),
    nonceHex: Buffer.alloc(12, 0x33).toString('hex'),
    payload: { metadata: { encoding: 'json/plain' }, data: '{"amount":"12.50","currency":"EUR"}' },
  },
  {
    kind: 'transit',
    name: 'transit envelope: empty payload, Transit key version 12',
    namespace: 'payments.eu-1',
    keyId: 'payments.eu-1',
    version: 12,
    wrappedKey: wrappedKeyOf(12, 0xa5),
    dataKeyHex: Buffer.alloc(32, 0x44).toString('hex'),
    saltHex: Buffer.alloc(32, 0x55).toString('hex'),
    nonceHex: Buffer.alloc(12, 0x66).toString('hex'),
    payload: { metadata: {}, data: '' },
  },
];

/** The Transit key a key id names with the default prefix. */
export function transitKeyName(keyId: string): string {
  return `${KEY_SOURCE_DEFAULTS.transitKeyPrefix}${keyId}`;
}

/** Computes a Transit vector's expected values with the library's primitives. */
export function computeTransitVector(input: TransitVectorInput): TransitVector {
  const { kind: _kind, dataKeyHex, wrappedKey, ...common } = input;
  const sealed = computeVector({ ...common, kind: 'positive', rootKeyHex: dataKeyHex }, undefined, wrappedKey);
  return {
    kind: 'transit',
    name: input.name,
    namespace: input.namespace,
    keyId: input.keyId,
    transitKeyName: transitKeyName(input.keyId),
    derivationContext: Buffer.from(input.namespace, 'utf8').toString('base64'),
    version: input.version,
    wrappedKey,
    dataKeyHex,
    saltHex: input.saltHex,
    nonceHex: input.nonceHex,
    payload: input.payload,
    expected: sealed.expected,
  };
}

/** Transit-mode payloads a decoder must refuse, built from the first Transit vector. */
export function transitNegativeVectors(first: TransitVector): NegativeVector[] {
  const wrappedKeys = { [first.wrappedKey]: first.dataKeyHex };
  const vector = (name: string, expectedError: NegativeVector['expectedError'], metadata: Record<string, string>) => ({
    kind: 'negative' as const,
    name,
    namespace: first.namespace,
    keyId: first.keyId,
    wrappedKeys,
    input: { metadata, dataHex: first.expected.dataHex },
    expectedError,
  });
  const { 'encryption-wrapped-key': _wrapped, ...withoutWrapped } = first.expected.metadata;
  const flipped = Buffer.from(first.expected.dataHex, 'hex');
  flipped[80] = flipped[80]! ^ 0x04;
  return [
    vector('transit: key version differs from the wrapped key vN', 'ERR_MALFORMED_METADATA', {
      ...first.expected.metadata,
      'encryption-key-version': String(first.version - 1),
    }),
    vector('transit: missing wrapped key', 'ERR_MALFORMED_METADATA', withoutWrapped),
    vector('transit: wrapped key not of the form vault:vN:base64', 'ERR_MALFORMED_METADATA', {
      ...first.expected.metadata,
      'encryption-wrapped-key': `vault:v${first.version}:not base64!`,
    }),
    {
      ...vector('transit: flipped ciphertext bit', 'ERR_DECRYPTION_FAILED', first.expected.metadata),
      input: { metadata: first.expected.metadata, dataHex: flipped.toString('hex') },
    },
  ];
}
