import { isAscii } from 'node:buffer';

/**
 * A reader for the one shape nearly every encode and decode body has, straight from the request's bytes:
 * `{"payloads":[{"metadata":{"<key>":"<base64>",...},"data":"<base64>"},...]}`, with any JSON whitespace. It returns
 * the same value `JSON.parse` returns for such a body, or undefined for anything else (other fields, escapes,
 * non-ASCII text, nulls, numbers, repeated keys, a byte order mark, trailing text, malformed JSON), which then goes
 * through `JSON.parse` and the checks of `payload-json.ts` as before: this reader decides nothing, it only skips
 * decoding the whole body to a string and parsing it generically. Base64 strings are found with `indexOf` and sliced
 * as Latin-1; on a 10 x 64 KiB body that is a tenth of the time of `toString` plus `JSON.parse`.
 *
 * What it returns is then checked exactly as a parsed body is (`parsePayloadsBody`). Keys and short strings are
 * checked byte by byte (printable ASCII only); long strings (base64 data) only for escapes and non-ASCII bytes, with
 * `indexOf` and `isAscii`. The one difference from `JSON.parse` that leaves: a raw control character inside a long
 * string, which JSON forbids, is answered as that field not being valid base64 (400 `ERR_BAD_REQUEST`, naming the
 * field) instead of the body not being valid JSON (400 `ERR_BAD_REQUEST`): such a string is never valid base64.
 */
export function readPayloadsEnvelope(body: Buffer): { payloads: Array<Record<string, unknown>> } | undefined {
  const reader = new Reader(body);
  try {
    reader.expect(OPEN_BRACE);
    if (reader.key() !== 'payloads') return undefined;
    reader.expect(OPEN_BRACKET);
    const payloads: Array<Record<string, unknown>> = [];
    if (!reader.take(CLOSE_BRACKET)) {
      do payloads.push(readPayload(reader));
      while (reader.take(COMMA));
      reader.expect(CLOSE_BRACKET);
    }
    reader.expect(CLOSE_BRACE);
    reader.end();
    return { payloads };
  } catch (err) {
    if (err === NOT_SIMPLE) return undefined;
    throw err;
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Strings up to this many bytes are checked byte by byte. */
const SHORT = 256;

/** Thrown inside the reader to step aside (one object, made once); never leaves it. */
const NOT_SIMPLE = new Error('not the simple shape');

function readPayload(reader: Reader): Record<string, unknown> {
  return reader.object<unknown>((key, payload) => {
    if (key === 'data' && !('data' in payload)) return reader.string();
    if (key === 'metadata' && !('metadata' in payload)) return readMetadata(reader);
    throw NOT_SIMPLE;
  });
}

function readMetadata(reader: Reader): Record<string, string> {
  return reader.object<string>((key, metadata) => {
    // `__proto__` would set the prototype of an ordinary object; JSON.parse makes it a key. Left to JSON.parse.
    if (key === '__proto__' || Object.hasOwn(metadata, key)) throw NOT_SIMPLE;
    return reader.string();
  });
}

class Reader {
  #at = 0;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** Skips JSON whitespace (space, tab, line feed, carriage return). */
  #skip(): void {
    const bytes = this.#bytes;
    let at = this.#at;
    for (let c = bytes[at]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = bytes[++at]);
    this.#at = at;
  }

  expect(byte: number): void {
    if (!this.take(byte)) throw NOT_SIMPLE;
  }

  take(byte: number): boolean {
    this.#skip();
    if (this.#bytes[this.#at] !== byte) return false;
    this.#at++;
    return true;
  }

  /** An object: each member's value is read by `member`, given the key and the members read so far. */
  object<T>(member: (key: string, sofar: Record<string, T>) => T): Record<string, T> {
    this.expect(OPEN_BRACE);
    const out: Record<string, T> = {};
    if (this.take(CLOSE_BRACE)) return out;
    do {
      const key = this.key();
      out[key] = member(key, out);
    } while (this.take(COMMA));
    this.expect(CLOSE_BRACE);
    return out;
  }

  /** A string of printable ASCII without escapes, followed by a colon. */
  key(): string {
    const key = this.string(true);
    this.expect(COLON);
    return key;
  }

  /** A string without escapes: printable ASCII when `strict` or short; else ASCII (see the module comment). */
  string(strict = false): string {
    this.expect(QUOTE);
    const bytes = this.#bytes;
    const start = this.#at;
    const end = bytes.indexOf(QUOTE, start);
    if (end === -1) throw NOT_SIMPLE;
    if (strict || end - start <= SHORT) {
      for (let i = start; i < end; i++) {
        const c = bytes[i]!;
        if (c < 0x20 || c > 0x7e || c === BACKSLASH) throw NOT_SIMPLE;
      }
    } else {
      const text = bytes.subarray(start, end);
      if (text.includes(BACKSLASH) || !isAscii(text)) throw NOT_SIMPLE;
    }
    this.#at = end + 1;
    return bytes.toString('latin1', start, end);
  }

  /** Only whitespace is left. */
  end(): void {
    this.#skip();
    if (this.#at !== this.#bytes.length) throw NOT_SIMPLE;
  }
}
