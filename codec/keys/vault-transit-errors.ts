import { CodecError, ERROR_CODES } from '../errors.js';

/**
 * Maps a Transit refusal to its code. Transit answers most refusals with HTTP 400 and an English message but no code
 * (which `VaultClient` reports as ERR_INVALID_CONFIG, quoting the message); the messages matched here are unchanged
 * since Vault 0.x and kept by OpenBao. Anything else is returned as it was.
 */
export function classifyTransitError(err: unknown, context: { keyId: string; version?: number }): unknown {
  // Only "Vault rejected" (4xx other than 401/403/404) carries a Transit refusal; everything else is already right.
  if (!(err instanceof CodecError) || err.code !== ERROR_CODES.invalidConfig) return err;
  const message = err.message;
  const options = { cause: err, context };
  if (/disallowed by policy \(too old\)/.test(message)) {
    return new CodecError(
      ERROR_CODES.keyVersionDestroyed,
      'Key version was destroyed or is below the minimum',
      options,
    );
  }
  if (/version is too new/.test(message)) {
    return new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', options);
  }
  if (/encryption key not found|no existing key named|invalid key name|key not found/.test(message)) {
    return new CodecError(ERROR_CODES.unknownKey, 'Unknown key', options);
  }
  if (/message authentication failed|invalid ciphertext/.test(message)) {
    return new CodecError(ERROR_CODES.decryptionFailed, 'Decryption failed', options);
  }
  if (/key derivation|derived key/.test(message)) {
    return new CodecError(
      ERROR_CODES.invalidConfig,
      'Transit key is not configured as this library creates it (derived aes256-gcm96); create it with the key-admin CLI',
      options,
    );
  }
  return err;
}
