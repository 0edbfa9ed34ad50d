import type { Payload } from '@temporalio/common';
import { CodecError, ERROR_CODES } from './errors.js';
import { METADATA_KEYS } from './types.js';

/**
 * What a codec does with a payload that is not encrypted when it decodes:
 *
 * - `allow` passes it through (counted): histories written before encryption was turned on stay readable.
 * - `reject` refuses it with `ERR_UNENCRYPTED_PAYLOAD`: production should use it once histories are encrypted,
 *   since otherwise whoever can write history (the cluster operator the codec defends against) can replace an
 *   encrypted input, signal or result with plaintext of their choosing.
 *
 * External storage references always pass: they point at blobs the codec sealed before they were stored.
 */
export const UNENCRYPTED_MODES = ['allow', 'reject'] as const;
/** One of {@link UNENCRYPTED_MODES}. */
export type UnencryptedMode = (typeof UNENCRYPTED_MODES)[number];

/** Observes unencrypted payloads a codec let through, for metrics. */
export type UnencryptedObserver = (namespace: string, encoding: string | undefined) => void;

/** The unencrypted-payload options of a codec. */
export interface UnencryptedOptions {
  /** Default `allow`. */
  readonly unencrypted?: UnencryptedMode;
  /**
   * With `reject`: `encoding` values that may still pass unencrypted (e.g. `binary/null`, if a producer you trust
   * writes them without the codec). Default none.
   */
  readonly allowedUnencryptedEncodings?: readonly string[];
  /** Called for every unencrypted payload let through (in either mode). */
  readonly onUnencrypted?: UnencryptedObserver;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The checked, frozen form of {@link UnencryptedOptions}. */
export class UnencryptedPolicy {
  readonly #mode: UnencryptedMode;
  readonly #allowed: ReadonlySet<string>;
  readonly #observer: UnencryptedObserver | undefined;

  constructor(options: UnencryptedOptions) {
    const mode = options.unencrypted ?? 'allow';
    if (!UNENCRYPTED_MODES.includes(mode)) {
      throw new CodecError(ERROR_CODES.invalidConfig, `unencrypted must be allow or reject, not ${String(mode)}`);
    }
    this.#mode = mode;
    this.#allowed = new Set(options.allowedUnencryptedEncodings ?? []);
    this.#observer = options.onUnencrypted;
  }

  /** The mode in force. */
  get mode(): UnencryptedMode {
    return this.#mode;
  }

  /**
   * Lets an unencrypted payload through (and reports it), or throws `ERR_UNENCRYPTED_PAYLOAD`.
   * Precondition: the payload is neither encrypted nor a storage reference.
   */
  admit(payload: Payload, namespace: string): void {
    const raw = payload.metadata?.[METADATA_KEYS.encoding];
    const encoding = raw == null ? undefined : utf8.decode(raw);
    if (this.#mode === 'reject' && (encoding === undefined || !this.#allowed.has(encoding))) {
      throw new CodecError(ERROR_CODES.unencryptedPayload, 'Payload is not encrypted, and this codec requires it', {
        context: { namespace, field: METADATA_KEYS.encoding },
      });
    }
    this.#observer?.(namespace, encoding);
  }
}
