import { CodecError, ERROR_CODES } from '../errors.js';
import type { AeadEngine } from './engine.js';
import { nativeEngine } from './native.js';
import { nodeCryptoEngine } from './node-crypto.js';

/**
 * How to choose the AES-GCM engine: `auto` (the default) uses the native module when it loads and passes its check,
 * else node:crypto; `off` uses node:crypto; `require` refuses to run without the native module.
 */
export const NATIVE_AEAD_MODES = ['auto', 'off', 'require'] as const;
/** One of {@link NATIVE_AEAD_MODES}. */
export type NativeAeadMode = (typeof NATIVE_AEAD_MODES)[number];

/** Which engine a codec uses, as logs and install checks print it. */
export type AeadBackend = Pick<AeadEngine, 'name' | 'reason'>;

/**
 * The engine for `mode`, to pass to the codecs (`aead` option). Call it once at start.
 *
 * @throws CodecError ERR_INVALID_CONFIG for an unknown mode, or for `require` when the native module cannot be used
 *   (saying why).
 */
export function loadAeadEngine(mode: NativeAeadMode): AeadEngine {
  if (!NATIVE_AEAD_MODES.includes(mode)) {
    throw new CodecError(
      ERROR_CODES.invalidConfig,
      `The native AES-GCM mode must be ${NATIVE_AEAD_MODES.join(', ')}, not ${JSON.stringify(mode)}`,
    );
  }
  if (mode === 'off') return nodeCryptoEngine('turned off');
  const native = nativeEngine();
  if (typeof native !== 'string') return native;
  if (mode === 'require') {
    throw new CodecError(ERROR_CODES.invalidConfig, `The native AES-GCM module is required, but ${native}`);
  }
  return nodeCryptoEngine(native);
}

let defaultEngine: AeadEngine | undefined;

/** The engine of `auto`, found on the first call: what codecs use when given none. */
export function defaultAeadEngine(): AeadEngine {
  defaultEngine ??= loadAeadEngine('auto');
  return defaultEngine;
}

/** The name of the default engine, and why it is not the native module when it is not (to check an install). */
export function aeadBackend(): AeadBackend {
  const { name, reason } = defaultAeadEngine();
  return reason === undefined ? { name } : { name, reason };
}
