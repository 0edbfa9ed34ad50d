import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CodecError, ERROR_CODES } from '../errors.js';
import { ROOT_KEY_BYTES } from '../types.js';
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

interface StoredVersion {
  version: number;
  createdAt: string;
  state: KeyVersionState;
  /** base64; absent once destroyed */
  material?: string;
}

interface KeyringFile {
  format: 'temporal-vault-codec-keyring/v1';
  /** Without a prototype (see `keyTable`): only own keys exist. */
  keys: Record<string, { versions: StoredVersion[] }>;
}

const FILE_FORMAT = 'temporal-vault-codec-keyring/v1';

/**
 * Versioned keys in a local JSON file: the embedded default for development and the quick start. Keys sit
 * unencrypted on disk, protected only by file mode 0600 — never use it in production; use Vault.
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
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { format: FILE_FORMAT, keys: keyTable({}) };
      throw fileError(err);
    }
    await this.#warnOnce();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'Keyring file is not valid JSON', { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || (parsed as KeyringFile).format !== FILE_FORMAT) {
      throw new CodecError(ERROR_CODES.invalidConfig, `Keyring file is not a ${FILE_FORMAT} file`);
    }
    return { format: FILE_FORMAT, keys: keyTable((parsed as { keys?: unknown }).keys) };
  }

  #update<T>(change: (file: KeyringFile) => T): Promise<T> {
    // Writes are serialized within the process, and each one replaces the file atomically (write, then rename).
    const run = this.#writes.then(async () => {
      const file = await this.#read();
      const result = change(file);
      await this.#write(file);
      return result;
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async #write(file: KeyringFile): Promise<void> {
    try {
      await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
      const temp = `${this.#path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.#path);
      await chmod(this.#path, 0o600);
    } catch (err) {
      throw fileError(err);
    }
    await this.#warnOnce();
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

/**
 * The file's `keys` object copied into one without a prototype, so that a namespace named `__proto__`,
 * `constructor` or `toString` is an ordinary key: never an inherited member, never a prototype change.
 */
function keyTable(keys: unknown): KeyringFile['keys'] {
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw new CodecError(
      ERROR_CODES.invalidConfig,
      `Keyring file is not a ${FILE_FORMAT} file (keys is not an object)`,
    );
  }
  const table = Object.create(null) as KeyringFile['keys'];
  for (const [keyId, entry] of Object.entries(keys)) {
    if (typeof entry !== 'object' || entry === null || !Array.isArray((entry as { versions?: unknown }).versions)) {
      throw new CodecError(ERROR_CODES.invalidConfig, `Keyring file entry ${JSON.stringify(keyId)} has no versions`);
    }
    table[keyId] = entry as { versions: StoredVersion[] };
  }
  return table;
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

function fileError(cause: unknown): CodecError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new CodecError(ERROR_CODES.keySourceDenied, 'Keyring file is not accessible (permission denied)', { cause });
  }
  return new CodecError(ERROR_CODES.keySourceUnavailable, 'Keyring file could not be read or written', { cause });
}
