import { randomBytes } from 'node:crypto';
import { CodecError, ERROR_CODES } from '../errors.js';
import { ROOT_KEY_BYTES } from '../types.js';
import type { KeyVersionInfo, KeyVersionState, LatestKey, VersionedKeyStore } from './versioned-key-store.js';

interface MemoryVersion {
  info: KeyVersionInfo;
  key: Buffer | undefined;
}

/** Options of {@link MemoryKeyStore}. */
export interface MemoryKeyStoreOptions {
  /**
   * Create a key's version 1 on its first encryption, as {@link LocalKeyring} does. Default true. With false, a key
   * must be created with {@link MemoryKeyStore.rotate} first (as an administrator creates Vault keys), and encoding
   * without one fails with ERR_UNKNOWN_KEY.
   */
  readonly createMissingKeys?: boolean;
}

/**
 * Versioned keys held in memory, for unit tests of code that uses the codec. Keys vanish with the process: never use
 * it for data that must be read again later.
 *
 * Like the local keyring, it creates a key on its first encryption by default: in a test, nobody stands in for the
 * administrator who creates Vault keys, and a store that behaves like the other development store surprises no one.
 * Decoding never creates keys.
 */
export class MemoryKeyStore implements VersionedKeyStore {
  readonly kind = 'memory';
  readonly #keys = new Map<string, MemoryVersion[]>();
  readonly #createMissing: boolean;
  /** When set, every read fails with this error (to simulate an outage). */
  failWith: CodecError | undefined;
  /** Number of reads served, for tests that count round trips. */
  reads = 0;

  constructor(options: MemoryKeyStoreOptions = {}) {
    this.#createMissing = options.createMissingKeys ?? true;
  }

  /** Adds a version (random material unless given) and returns its number. */
  rotate(keyId: string, material?: Uint8Array): number {
    const versions = this.#keys.get(keyId) ?? [];
    const version = versions.length + 1;
    const key = material === undefined ? randomBytes(ROOT_KEY_BYTES) : Buffer.from(material);
    versions.push({ info: { version, createdAt: new Date().toISOString(), state: 'active' }, key });
    this.#keys.set(keyId, versions);
    return version;
  }

  /** Changes a version's state; `destroyed` zeroes and drops its material. */
  setState(keyId: string, version: number, state: KeyVersionState): void {
    const entry = this.#keys.get(keyId)?.[version - 1];
    if (entry === undefined)
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
    entry.info = { ...entry.info, state };
    if (state === 'destroyed') {
      entry.key?.fill(0);
      entry.key = undefined;
    }
  }

  readLatest(keyId: string): Promise<LatestKey> {
    return this.#read(() => {
      if (!this.#keys.has(keyId) && this.#createMissing) this.rotate(keyId);
      const versions = this.#keys.get(keyId);
      if (versions === undefined) throw missingKey(keyId);
      const newest = [...versions].reverse().find((v) => v.info.state === 'active' && v.key !== undefined);
      if (newest?.key === undefined)
        throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Key has no active version', { context: { keyId } });
      return { version: newest.info.version, key: Buffer.from(newest.key) };
    });
  }

  readVersion(keyId: string, version: number): Promise<Buffer> {
    return this.#read(() => {
      const versions = this.#keys.get(keyId);
      if (versions === undefined) throw missingKey(keyId);
      const entry = versions[version - 1];
      if (entry === undefined)
        throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
      if (entry.key === undefined)
        throw new CodecError(ERROR_CODES.keyVersionDestroyed, 'Key version was destroyed', {
          context: { keyId, version },
        });
      return Buffer.from(entry.key);
    });
  }

  checkHealth(): Promise<void> {
    return this.#read(() => undefined);
  }

  /** Versions of `keyId`, oldest first. */
  listVersions(keyId: string): KeyVersionInfo[] {
    return (this.#keys.get(keyId) ?? []).map((v) => v.info);
  }

  async #read<T>(fn: () => T): Promise<T> {
    // Always asynchronous, like a real store, so tests see the same interleavings.
    await Promise.resolve();
    this.reads++;
    if (this.failWith !== undefined) throw this.failWith;
    return fn();
  }
}

/** Names the missing key and the two ways to have it, since this store is what a first test of the codec meets. */
function missingKey(keyId: string): CodecError {
  return new CodecError(
    ERROR_CODES.unknownKey,
    `No key ${JSON.stringify(keyId)} in this MemoryKeyStore: call rotate(${JSON.stringify(keyId)}) first, or leave ` +
      'createMissingKeys at its default (true) to create keys on first encryption',
    { context: { keyId } },
  );
}
