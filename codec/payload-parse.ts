import type { Payload } from '@temporalio/common';
// @temporalio/proto is CommonJS: Node's ESM loader cannot see its named exports, so take the default.
import proto from '@temporalio/proto';
import { CodecError, ERROR_CODES } from './errors.js';

/** Parsing of the `temporal.api.common.v1.Payload` protobuf that `payload-proto.ts` writes. */

const PayloadMessage = proto.temporal.api.common.v1.Payload;

/**
 * Parses a serialized payload. `data` and metadata values are views into `bytes` (no copies); the caller hands over
 * ownership of `bytes`. The metadata object has no prototype, so a key such as `__proto__` is an ordinary entry.
 * Throws `ERR_MALFORMED_METADATA` on anything that is not a valid Payload message.
 *
 * The common shape (fields 1 and 2, nothing else) is read by a small parser of our own; anything else, or anything
 * unusual (another field, an unexpected wire type, a non-UTF-8 key, a length past the end), goes to the generated
 * decoder, which answers or refuses. The two are checked against each other by a differential fuzz test.
 */
export function deserializePayload(bytes: Uint8Array): Payload {
  try {
    return parseFast(bytes) ?? decodeGenerated(bytes);
  } catch (cause) {
    throw new CodecError(ERROR_CODES.malformedMetadata, 'Decrypted bytes are not a valid Payload message', {
      cause,
      context: { field: 'data' },
    });
  }
}

/** The generated decoder's answer, with its metadata copied into a prototype-free object of own entries. */
function decodeGenerated(bytes: Uint8Array): Payload {
  const message = PayloadMessage.decode(bytes);
  const decoded = message.metadata;
  const metadata = Object.create(null) as Record<string, Uint8Array>;
  if (decoded != null) {
    // protobufjs assigns map entries to a plain object: a `__proto__` entry becomes the object's prototype.
    const prototype: unknown = Object.getPrototypeOf(decoded);
    if (prototype !== Object.prototype && prototype !== null) metadata.__proto__ = prototype as Uint8Array;
    for (const key of Object.keys(decoded)) metadata[key] = decoded[key]!;
  }
  message.metadata = metadata;
  return message;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Where the parser is in the buffer. */
interface Cursor {
  pos: number;
}

/**
 * Reads a varint of at most 5 bytes and 32 bits at `cursor.pos` and advances past it; undefined (for the generated
 * decoder to judge) when it runs past the end or is longer.
 */
function readVarint(bytes: Uint8Array, cursor: Cursor): number | undefined {
  let pos = cursor.pos;
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= bytes.length) return undefined;
    const byte = bytes[pos++]!;
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) {
      if (result > MAX_FAST_VARINT) return undefined;
      cursor.pos = pos;
      return result;
    }
    multiplier *= 128;
  }
  return undefined;
}

// The last metadata keys decoded ("encoding", "messageType", ...), matched by bytes so a repeated key costs one
// comparison instead of building a string.
const RECENT_KEYS = 8;
const recentKeyBytes: Uint8Array[] = [];
const recentKeyText: string[] = [];
let nextRecentKey = 0;

function recentKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  next: for (let k = 0; k < recentKeyBytes.length; k++) {
    const candidate = recentKeyBytes[k]!;
    if (candidate.length !== length) continue;
    for (let i = 0; i < length; i++) if (candidate[i] !== bytes[start + i]) continue next;
    return recentKeyText[k];
  }
  return undefined;
}

/**
 * Decodes a metadata key: a recent key by comparison, plain ASCII without TextDecoder, else strictly as UTF-8;
 * undefined when it is not UTF-8.
 */
function decodeKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  const known = recentKey(bytes, start, end);
  if (known !== undefined) return known;
  const text = decodeNewKey(bytes, start, end);
  if (text === undefined) return undefined;
  if (end - start <= 64) {
    recentKeyBytes[nextRecentKey] = Uint8Array.from(bytes.subarray(start, end)); // a copy, never a view of plaintext
    recentKeyText[nextRecentKey] = text;
    nextRecentKey = (nextRecentKey + 1) % RECENT_KEYS;
  }
  return text;
}

function decodeNewKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) {
      try {
        return utf8Decoder.decode(bytes.subarray(start, end));
      } catch {
        return undefined;
      }
    }
    text += String.fromCharCode(byte);
  }
  return text;
}

/** The largest tag or length the fast parser reads; anything larger goes to the generated decoder. */
const MAX_FAST_VARINT = 0xffffffff;

/**
 * Reads fields 1 and 2 by offset (no intermediate views). Returns undefined, so that the generated decoder takes
 * over, on anything but the plain shape: the wire type is checked before any length is read.
 */
export function parseFast(bytes: Uint8Array): Payload | undefined {
  const metadata = Object.create(null) as Record<string, Uint8Array>;
  let data: Uint8Array | undefined;
  const cursor: Cursor = { pos: 0 };
  while (cursor.pos < bytes.length) {
    const tag = readVarint(bytes, cursor);
    if (tag !== 0x0a && tag !== 0x12) return undefined;
    const length = readVarint(bytes, cursor);
    if (length === undefined) return undefined;
    const start = cursor.pos;
    const end = start + length;
    if (end > bytes.length) return undefined;
    if (tag === 0x12) data = bytes.subarray(start, end);
    else if (!parseMapEntry(bytes, start, end, metadata, cursor)) return undefined;
    cursor.pos = end;
  }
  return { metadata, data: data ?? bytes.subarray(0, 0) };
}

/** Reads one metadata entry into `into`; false when it is not the plain shape. */
function parseMapEntry(
  bytes: Uint8Array,
  start: number,
  end: number,
  into: Record<string, Uint8Array>,
  cursor: Cursor,
): boolean {
  let key = '';
  let value: Uint8Array | undefined;
  cursor.pos = start;
  while (cursor.pos < end) {
    const tag = bytes[cursor.pos++];
    if (tag !== 0x0a && tag !== 0x12) return false;
    const length = readVarint(bytes, cursor);
    if (length === undefined) return false;
    const fieldStart = cursor.pos;
    const fieldEnd = fieldStart + length;
    if (fieldEnd > end) return false;
    if (tag === 0x0a) {
      const text = decodeKey(bytes, fieldStart, fieldEnd);
      if (text === undefined) return false;
      key = text;
    } else {
      value = bytes.subarray(fieldStart, fieldEnd);
    }
    cursor.pos = fieldEnd;
  }
  into[key] = value ?? bytes.subarray(0, 0);
  return true;
}
