import type { KeySourceKind, KeyVersionInfo, KeyVersionState } from '../codec/index.js';

/** The key sources the CLI administers: the library's. */
export type { KeySourceKind };

/** A key and its versions, as `keys describe` shows it. */
export interface KeyDescription {
  readonly keyId: string;
  readonly source: KeySourceKind;
  /** Where the key lives: a file, a KV path or a Transit key. */
  readonly location: string;
  /** Every version, oldest first. */
  readonly versions: readonly KeyVersionInfo[];
  /** The version new payloads are sealed with; `undefined` when no version is active. */
  readonly encryptingVersion: number | undefined;
  /** Vault Transit only: Vault's own rotation period in milliseconds, 0 when off. */
  readonly autoRotatePeriodMs?: number;
  /** Things an operator should know (e.g. a Transit key not created by this tool). */
  readonly warnings: readonly string[];
}

/**
 * Key lifecycle over one key source: the same operations for the local keyring, Vault KV v2 and Vault Transit, so
 * the CLI (and any other tool) does not care which it talks to. Errors are `CodecError`s: ERR_UNKNOWN_KEY,
 * ERR_UNKNOWN_KEY_VERSION, ERR_INVALID_ARGUMENT (the source refuses the change, e.g. a key that exists or a
 * Transit ordering rule), ERR_KEY_VERSION_DESTROYED (restoring a destroyed version), ERR_KEY_SOURCE_DENIED,
 * ERR_KEY_SOURCE_UNAVAILABLE.
 */
export interface KeyAdmin {
  readonly source: KeySourceKind;
  /** Key ids known to the source (under the configured prefix). */
  listKeys(): Promise<string[]>;
  /** The key's versions, states and encrypting version; ERR_UNKNOWN_KEY when it does not exist. */
  describeKey(keyId: string): Promise<KeyDescription>;
  /** Creates version 1; ERR_INVALID_ARGUMENT when the key exists. */
  createKey(keyId: string): Promise<KeyDescription>;
  /** Adds a new version that encrypts from now on; ERR_UNKNOWN_KEY when the key does not exist. */
  rotateKey(keyId: string): Promise<KeyVersionInfo>;
  /**
   * `inactive`: decrypt only, never used to encrypt. `active`: may encrypt again. `destroyed`: the material is gone
   * and every payload sealed with it is unreadable, for good.
   */
  setVersionState(keyId: string, version: number, state: KeyVersionState): Promise<KeyVersionInfo>;
  /** Sets the source's own rotation period (Transit's `auto_rotate_period`); `false` when the source has none. */
  setAutoRotatePeriod(keyId: string, periodMs: number): Promise<boolean>;
  /** Releases timers (token renewal). */
  close(): Promise<void>;
}
