/**
 * Wire constants of the encrypted payload format, version 1. The spec is `docs/wire-format.md`.
 *
 * Every name here appears on the wire or in payload metadata, so changing one is a breaking change.
 */

/** Metadata keys written on every encrypted payload; all of them are readable without the key. */
export const METADATA_KEYS = {
  /** The Temporal convention the samples and the Web UI recognise as "encrypted". */
  encoding: 'encoding',
  /** Which key sealed the payload (per namespace by default). */
  keyId: 'encryption-key-id',
  /** Decimal key version, e.g. `"3"`: the Vault KV version, the Transit key version or the keyring version. */
  keyVersion: 'encryption-key-version',
  /** Format and algorithm identifier, see {@link FORMAT_IDS}. */
  format: 'encryption-format',
  /** Transit envelope mode only: the data key wrapped by Vault (`vault:vN:...`). */
  wrappedKey: 'encryption-wrapped-key',
} as const;

/** The `encoding` metadata value of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';

/** Format identifiers; the value is bound into the authenticated data. */
export const FORMAT_IDS = {
  /** AES-256-GCM, HKDF-SHA256 derived per-salt keys with key commitment. */
  v1: 'tvc1-aes256gcm-hkdf-sha256-commit',
} as const;

/** Union of supported format identifiers. */
export type FormatId = (typeof FORMAT_IDS)[keyof typeof FORMAT_IDS];

/** Byte lengths of the fixed-size fields of the v1 data layout. */
export const V1_LAYOUT = {
  salt: 32,
  commitment: 32,
  nonce: 12,
  tag: 16,
  /** salt + commitment + nonce */
  header: 76,
  /** header + tag: the smallest valid sealed payload (an empty serialized Payload) */
  minimum: 92,
} as const;

/** Length of a key version's root key material (AES-256). */
export const ROOT_KEY_BYTES = 32;

/**
 * Upper bound on payloads sealed under one derived key before a fresh salt (and so a fresh key) is drawn, enforced
 * inside a batch too. Nonces are a random 96-bit base XOR a 32-bit counter per derived key, distinct for 2^32 uses,
 * so the bound is far below the point of repetition; it also keeps each key's use well inside NIST SP 800-38D.
 */
export const MAX_PAYLOADS_PER_DERIVED_KEY = 2 ** 24;

/** Identifies one version of one key, as named by an encrypted payload's metadata. */
export interface KeyReference {
  readonly keyId: string;
  readonly version: number;
  /** Transit envelope mode: the wrapped data key carried by the payload. */
  readonly wrappedKey?: string;
}

/**
 * How an External Storage reference payload (`temporal.api.sdk.v1.ExternalStorageReference`) is marked, as every
 * Temporal SDK writes it: `json/protobuf` encoding, this message type, the reference as protojson in `data`, and the
 * stored blob's size in `externalPayloads[0].sizeBytes`. References point at blobs the codec has already sealed, so
 * the codec passes them through both ways.
 */
export const STORAGE_REFERENCE = {
  encoding: 'json/protobuf',
  messageType: 'temporal.api.sdk.v1.ExternalStorageReference',
} as const;
