import type { Payload } from '@temporalio/common';
import type { AeadEngine } from './aead/engine.js';
import type { CodecError } from './errors.js';
import type { KeyProvider } from './keys/key-provider.js';
import type { SamplesProfileOptions } from './samples/samples-profile.js';
import type { KeyReference } from './types.js';
import type { UnencryptedOptions } from './unencrypted-policy.js';

/** Options of {@link EncryptionCodec}. */
export interface EncryptionCodecOptions extends UnencryptedOptions {
  /** The one namespace this codec serves; for several, see `MultiNamespaceCodec`. */
  readonly namespace: string;
  /** Where keys come from (usually a caching provider over Vault or the local keyring). */
  readonly keyProvider: KeyProvider;
  /** Payloads sealed under one derived key before a new salt is drawn. Default and maximum 2^24. */
  readonly maxPayloadsPerDerivedKey?: number;
  /** Derived decryption keys kept in memory. Default 1,024. */
  readonly decryptKeyCacheSize?: number;
  /** How long a derived decryption key is reused before its key version is asked for again. Default 5 min. */
  readonly decryptKeyMaxAgeMs?: number;
  /**
   * Distinct key versions (Transit: wrapped data keys) missing from memory that one decode call looks up; payloads
   * naming more fail alone with `ERR_KEY_LOOKUP_LIMIT`. Bounds what one batch of forged payloads costs the key
   * source. Default 64.
   */
  readonly maxKeyLookupsPerCall?: number;
  /** The AES-GCM engine (see `loadAeadEngine`). Default: `defaultAeadEngine()`, the native module when usable. */
  readonly aead?: AeadEngine;
  /**
   * Decode-only: open payloads written by the official samples' encryption codecs (no `encryption-format`) with keys
   * per key id. Absent, such payloads fail with `ERR_UNSUPPORTED_FORMAT`. Never used to encode.
   */
  readonly samplesProfile?: SamplesProfileOptions;
}

/**
 * The outcome for one payload of {@link EncryptionCodec.encodeSettled} or {@link EncryptionCodec.decodeSettled}:
 * the payload, with the key version that sealed or opened it (absent when it passed through untouched; version 0 for
 * a payload of the samples' format, which has no versions), or the error of that payload alone.
 */
export type PayloadResult =
  | { readonly ok: true; readonly payload: Payload; readonly key?: KeyReference }
  | { readonly ok: false; readonly error: CodecError };

/** @deprecated Same as {@link PayloadResult}. */
export type DecodeResult = PayloadResult;
