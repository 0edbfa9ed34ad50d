import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { CodecError, ERROR_CODES } from '../errors.js';
import { ROOT_KEY_BYTES } from '../types.js';
import { readKeyringFile, updateKeyringFile, type KeyringFile, type StoredVersion } from './keyring-file.js';
import type { KeyVersionInfo, KeyVersionState, LatestKey, VersionedKeyStore } from './versioned-key-store.js';

/** Options of {@link LocalKeyring}. */
export interface LocalKeyringOptions {
  /** Path of the keyring file; created (mode 0600) on first use. */
  readonly path: string;
  /** Create a namespace's key on its first encryption. Default true (it is the zero-setup default). */
  readonly createMissingKeys?: boolean;
  /** Where the development-only warning goes. Default `console.warn`. */
  readonly warn?: (message: string) => void;
}

/**
 * Versioned keys in a local JSON file: the embedded default for development and the quick start. Keys sit
 * unencrypted on disk, protected only by file mode 0600 — never use it in production; use Vault. Several processes
 * may share the file: each change holds a lock across processes and replaces the file atomically (see
 * `keyring-file.ts`).
 */
export class LocalKeyring implements VersionedKeyStore {
  readonly kind = 'local-keyring';
  readonly #path: string;
  readonly #createMissing: boolean;
  readonly #warn: (message: string) => void;
  #warned = false;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(options: LocalKeyringOptions) {
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'LocalKeyring needs a file path');
    }
    this.#path = options.path;
    this.#createMissing = options.createMissingKeys ?? true;

    this.#warn = options.warn ?? ((message) => console.warn(message));
  }

  /** The keyring file's path. */
  get path(): string {
    return this.#path;
  }

  async readLatest(keyId: string): Promise<LatestKey> {
    let file = await this.#read();
    let entry = file.keys[keyId];
    if (entry === undefined && this.#createMissing) {
      await this.createKey(keyId).catch((err: unknown) => {
        // Another caller may have created it first; that is fine.
        if (!(err instanceof CodecError && err.code === ERROR_CODES.invalidArgument)) throw err;
      });
      file = await this.#read();
      entry = file.keys[keyId];
    }
    if (entry === undefined) throw unknownKey(keyId);
    const newest = [...entry.versions].reverse().find((v) => v.state === 'active' && v.material !== undefined);
    if (newest === undefined) {
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Key has no active version', { context: { keyId } });
    }
    return { version: newest.version, key: decodeMaterial(newest.material, keyId, newest.version) };
  }

  async readVersion(keyId: string, version: number): Promise<Buffer> {
    const entry = (await this.#read()).keys[keyId];
    if (entry === undefined) throw unknownKey(keyId);
    const stored = entry.versions.find((v) => v.version === version);
    if (stored === undefined) {
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
    }
    if (stored.state === 'destroyed' || stored.material === undefined) {
      throw new CodecError(ERROR_CODES.keyVersionDestroyed, 'Key version was destroyed', {
        context: { keyId, version },
      });
    }
    return decodeMaterial(stored.material, keyId, version);
  }

  async checkHealth(): Promise<void> {
    await this.#read();
  }

  /** Creates version 1 of `keyId`; fails with ERR_INVALID_ARGUMENT when the key exists. */
  createKey(keyId: string): Promise<KeyVersionInfo> {
    return this.#update((file) => {
      if (file.keys[keyId] !== undefined) {
        throw new CodecError(ERROR_CODES.invalidArgument, 'Key already exists', { context: { keyId } });
      }
      const created = newVersion(1);
      file.keys[keyId] = { versions: [created] };
      return info(created);
    });
  }

  /** Adds a new newest version of `keyId` (creating the key when missing). */
  rotateKey(keyId: string): Promise<KeyVersionInfo> {
    return this.#update((file) => {
      const entry = (file.keys[keyId] ??= { versions: [] });
      const next = newVersion(entry.versions.reduce((max, v) => Math.max(max, v.version), 0) + 1);
      entry.versions.push(next);
      return info(next);
    });
  }

  /** Every version of `keyId`, oldest first. */
  async listVersions(keyId: string): Promise<KeyVersionInfo[]> {
    const entry = (await this.#read()).keys[keyId];
    if (entry === undefined) throw unknownKey(keyId);
    return entry.versions.map(info);
  }

  /** Every key id in the keyring. */
  async listKeys(): Promise<string[]> {
    return Object.keys((await this.#read()).keys);
  }

  /** Sets a version's state; `destroyed` erases its material for good. */
  setVersionState(keyId: string, version: number, state: KeyVersionState): Promise<KeyVersionInfo> {
    return this.#update((file) => {
      const stored = file.keys[keyId]?.versions.find((v) => v.version === version);
      if (stored === undefined) {
        throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
      }
      if (stored.state === 'destroyed' && state !== 'destroyed') {
        throw new CodecError(ERROR_CODES.keyVersionDestroyed, 'A destroyed version cannot be restored', {
          context: { keyId, version },
        });
      }
      stored.state = state;
      if (state === 'destroyed') delete stored.material;
      return info(stored);
    });
  }

  async #read(): Promise<KeyringFile> {
    const { file, existed } = await readKeyringFile(this.#path);
    if (existed) await this.#warnOnce();
    return file;
  }

  async #update<T>(change: (file: KeyringFile) => T): Promise<T> {
    // Queued within the process (no process contends with itself for the lock), locked across processes.
    const run = this.#writes.then(() => updateKeyringFile(this.#path, change));
    this.#writes = run.catch(() => undefined);
    const result = await run;
    await this.#warnOnce();
    return result;
  }

  async #warnOnce(): Promise<void> {
    if (this.#warned) return;
    this.#warned = true;
    this.#warn(
      `WARNING: using the local keyring file ${this.#path}. Keys are stored unencrypted on this disk; ` +
        'this is for development only. Use Vault (KV v2 or Transit) in production.',
    );
    const mode = (await stat(this.#path).catch(() => undefined))?.mode;
    if (mode !== undefined && (mode & 0o077) !== 0) {
      this.#warn(
        `WARNING: keyring file ${this.#path} is readable by other users (mode ${(mode & 0o777).toString(8)}); run chmod 600.`,
      );
    }
  }
}

function newVersion(version: number): StoredVersion {
  return {
    version,
    createdAt: new Date().toISOString(),
    state: 'active',
    material: randomBytes(ROOT_KEY_BYTES).toString('base64'),
  };
}

function info(stored: StoredVersion): KeyVersionInfo {
  return { version: stored.version, createdAt: stored.createdAt, state: stored.state };
}

function decodeMaterial(material: string | undefined, keyId: string, version: number): Buffer {
  const key = Buffer.from(material ?? '', 'base64');
  if (key.length !== ROOT_KEY_BYTES) {
    key.fill(0);
    throw new CodecError(ERROR_CODES.invalidKeyMaterial, `Key material must be ${ROOT_KEY_BYTES} bytes`, {
      context: { keyId, version },
    });
  }
  return key;
}

function unknownKey(keyId: string): CodecError {
  return new CodecError(ERROR_CODES.unknownKey, 'Unknown key', { context: { keyId } });
}
