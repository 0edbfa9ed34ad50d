import { readFile } from 'node:fs/promises';
import { CodecError, ERROR_CODES } from '../../errors.js';

/** A credential given directly, or as a file read at each login (mounted secrets and projected tokens rotate). */
export type SecretSource = { readonly value: string } | { readonly file: string };

/** Reads a text file; injectable for tests. */
export type ReadTextFile = (path: string) => Promise<string>;

/** The default {@link ReadTextFile}: UTF-8 from disk. */
export const readTextFile: ReadTextFile = (path) => readFile(path, 'utf8');

/**
 * The credential's current value, trimmed (files usually end with a newline).
 *
 * @throws CodecError ERR_INVALID_CONFIG when the file cannot be read or the value is empty; the message names the
 * file, never the value.
 */
export async function readSecret(
  source: SecretSource,
  what: string,
  read: ReadTextFile = readTextFile,
): Promise<string> {
  let value: string;
  if ('value' in source) {
    value = source.value;
  } else {
    try {
      value = await read(source.file);
    } catch (cause) {
      throw new CodecError(ERROR_CODES.invalidConfig, `Cannot read the ${what} file ${source.file}`, { cause });
    }
  }
  value = value.trim();
  if (value.length === 0) throw new CodecError(ERROR_CODES.invalidConfig, `The ${what} is empty`);
  return value;
}
