import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { CodecError, ERROR_CODES } from '../errors.js';
import type { KeyVersionState } from './versioned-key-store.js';

/**
 * The local keyring's file: reading it, and changing it safely when several processes share it (a codec server
 * creating keys while an administrator destroys a version).
 *
 * ```
 * update: lock <file>.lock (across processes) -> read -> change -> write temp, fsync -> rename over -> unlock
 * read:   read (a rename is atomic, so a reader sees the old file or the new one, never half of one)
 * ```
 */

/** The `format` field of a keyring file. */
export const KEYRING_FORMAT = 'temporal-vault-codec-keyring/v1';

/** One key version as stored. */
export interface StoredVersion {
  version: number;
  createdAt: string;
  state: KeyVersionState;
  /** base64; absent once destroyed */
  material?: string;
}

/** The whole file. */
export interface KeyringFile {
  format: typeof KEYRING_FORMAT;
  /** Without a prototype (see {@link keyTable}): only own keys exist. */
  keys: Record<string, { versions: StoredVersion[] }>;
}

/**
 * How long a lock may look unrefreshed before another process takes it over (its holder crashed). proper-lockfile
 * refreshes a held lock every half of this; a change itself takes milliseconds.
 */
const STALE_MS = 10_000;
/** Waiting for another process's lock: about 15 s in all, then ERR_KEY_SOURCE_UNAVAILABLE (retryable). */
const LOCK_RETRIES = { retries: 80, factor: 1.1, minTimeout: 20, maxTimeout: 250, randomize: true };

/** Reads the file; `existed` is false (and the file empty) when there is none yet. */
export async function readKeyringFile(path: string): Promise<{ file: KeyringFile; existed: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { file: { format: KEYRING_FORMAT, keys: keyTable({}) }, existed: false };
    }
    throw fileError(err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new CodecError(ERROR_CODES.invalidConfig, 'Keyring file is not valid JSON', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as KeyringFile).format !== KEYRING_FORMAT) {
    throw new CodecError(ERROR_CODES.invalidConfig, `Keyring file is not a ${KEYRING_FORMAT} file`);
  }
  return { file: { format: KEYRING_FORMAT, keys: keyTable((parsed as { keys?: unknown }).keys) }, existed: true };
}

/**
 * Applies `change` to the current file and writes the result, holding the file's lock (`<path>.lock`, shared with
 * every process using proper-lockfile on the same path) from the read to the rename, so that no other change lands
 * in between and is overwritten. `change` may throw to abandon the update; nothing is written then.
 */
export async function updateKeyringFile<T>(path: string, change: (file: KeyringFile) => T): Promise<T> {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    release = await lockfile.lock(path, {
      realpath: false,
      lockfilePath: `${path}.lock`,
      stale: STALE_MS,
      retries: LOCK_RETRIES,
      // The default throws from a timer, which would end the process; the write below checks this instead.
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new CodecError(ERROR_CODES.keySourceUnavailable, 'Keyring file is locked by another process', {
        cause: err,
      });
    }
    throw fileError(err);
  }
  try {
    const { file } = await readKeyringFile(path);
    const result = change(file);
    await writeAtomically(path, `${JSON.stringify(file, null, 2)}\n`, () => compromised);
    return result;
  } finally {
    await release().catch(() => undefined);
  }
}

/** Writes a temporary file next to `path`, syncs it and renames it over `path` (mode 0600). */
async function writeAtomically(path: string, text: string, compromised: () => Error | undefined): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const lost = compromised();
    if (lost !== undefined) {
      // Another process took the lock over (ours looked stale): renaming now could undo its change.
      throw new CodecError(ERROR_CODES.keySourceUnavailable, 'Keyring file lock was lost; nothing written', {
        cause: lost,
      });
    }
    await rename(temp, path);
    await chmod(path, 0o600);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err instanceof CodecError ? err : fileError(err);
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
      `Keyring file is not a ${KEYRING_FORMAT} file (keys is not an object)`,
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

/** Maps a file-system failure to the key-source codes. */
export function fileError(cause: unknown): CodecError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new CodecError(ERROR_CODES.keySourceDenied, 'Keyring file is not accessible (permission denied)', { cause });
  }
  return new CodecError(ERROR_CODES.keySourceUnavailable, 'Keyring file could not be read or written', { cause });
}
