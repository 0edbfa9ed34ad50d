/**
 * Stable error codes. They are public API: callers `switch (err.code)`, tests assert them, and the codec server
 * maps them to HTTP statuses in one place.
 */
export const ERROR_CODES = {
  /** Authentication failed: tampered data or metadata, wrong key, wrong namespace binding. Says nothing more. */
  decryptionFailed: 'ERR_DECRYPTION_FAILED',
  /** The sealed data is shorter than the format's fixed fields. */
  truncated: 'ERR_PAYLOAD_TRUNCATED',
  /** A required metadata field is missing or malformed. */
  malformedMetadata: 'ERR_MALFORMED_METADATA',
  /** The payload names a format this version does not implement. */
  unsupportedFormat: 'ERR_UNSUPPORTED_FORMAT',
  /** No key exists for the key id (e.g. the namespace has no key yet). */
  unknownKey: 'ERR_UNKNOWN_KEY',
  /** The key exists but not this version. */
  unknownKeyVersion: 'ERR_UNKNOWN_KEY_VERSION',
  /** The key version was destroyed (crypto-shredded) or is below the minimum decryption version. */
  keyVersionDestroyed: 'ERR_KEY_VERSION_DESTROYED',
  /** The payload was sealed for another namespace's key. */
  namespaceMismatch: 'ERR_NAMESPACE_MISMATCH',
  /** The key source (Vault, keyring file) could not be reached or failed; retrying may succeed. */
  keySourceUnavailable: 'ERR_KEY_SOURCE_UNAVAILABLE',
  /** The key source refused the request (permission denied): retrying will not help. */
  keySourceDenied: 'ERR_KEY_SOURCE_DENIED',
  /** The key source answered with something that is not a valid key. */
  invalidKeyMaterial: 'ERR_INVALID_KEY_MATERIAL',
  /** Options or configuration are invalid. */
  invalidConfig: 'ERR_INVALID_CONFIG',
  /** An argument at the public boundary is invalid (wrong type, bad namespace). */
  invalidArgument: 'ERR_INVALID_ARGUMENT',
  /**
   * A payload that is not encrypted reached a codec in `unencrypted: 'reject'` mode: whoever can write history could
   * otherwise replace an encrypted input, signal or result with plaintext of their choice.
   */
  unencryptedPayload: 'ERR_UNENCRYPTED_PAYLOAD',
  /**
   * One decode call named more distinct key versions (or wrapped keys) missing from memory than the codec looks up
   * at once (`maxKeyLookupsPerCall`); this payload was not tried. Decoding it in a smaller batch succeeds.
   */
  keyLookupLimit: 'ERR_KEY_LOOKUP_LIMIT',
  /** A bug: something other than a CodecError was thrown inside the codec. Never reported as tampering. */
  internal: 'ERR_INTERNAL',
} as const;

/** Union of all error codes. */
export type CodecErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Context carried by an error; never key bytes or plaintext. */
export interface CodecErrorContext {
  readonly keyId?: string;
  readonly version?: number;
  readonly namespace?: string;
  readonly field?: string;
}

const MARKER = Symbol.for('temporal-vault-codec/CodecError');

/**
 * Base of every error this library throws. `code` is stable, `retryable` says whether the same call may succeed
 * later (key source outages), `cause` keeps the underlying error.
 *
 * `instanceof` works across duplicate copies of this package (a marker symbol, as the Temporal SDK does).
 */
export class CodecError extends Error {
  /** Stable, documented code. */
  readonly code: CodecErrorCode;
  /** True when retrying the operation later may succeed. */
  readonly retryable: boolean;
  /** Identifiers of what failed (never secrets). */
  readonly context: CodecErrorContext;

  constructor(
    code: CodecErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; context?: CodecErrorContext } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodecError';
    this.code = code;
    this.retryable = options.retryable ?? code === ERROR_CODES.keySourceUnavailable;
    this.context = Object.freeze({ ...options.context });
    Object.defineProperty(this, MARKER, { value: true, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** True when `err` is a {@link CodecError} with the given code. */
export function isCodecError(err: unknown, code?: CodecErrorCode): err is CodecError {
  return err instanceof CodecError && (code === undefined || err.code === code);
}
