import type { Payload } from '@temporalio/common';
// @temporalio/proto is CommonJS: Node's ESM loader cannot see its named exports, so take the default.
import proto from '@temporalio/proto';

/**
 * The `temporal.api.common.v1.Payload` protobuf, written by hand for the two fields every payload has
 * (`map<string, bytes> metadata = 1; bytes data = 2;`) so that sealing a payload costs one small header plus the
 * payload's own bytes, with no intermediate copy. Payloads with any other field (e.g. `external_payloads = 3`) go
 * through the generated codec instead, so nothing is ever dropped. Parsing is in `payload-parse.ts`.
 */

const PayloadMessage = proto.temporal.api.common.v1.Payload;
const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** A payload serialized as a small prefix followed by the payload's `data` bytes, unchanged. */
export interface SerializedPayload {
  /** Metadata entries and the `data` field's tag and length. */
  readonly prefix: Uint8Array;
  /** The payload's `data` bytes (the caller's own array, not copied). */
  readonly body: Uint8Array;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

// Metadata keys repeat on every payload ("encoding", "messageType"): encode each once. Bounded, since keys come from
// callers.
const keyBytes = new Map<string, Uint8Array>();
function encodeKey(name: string): Uint8Array {
  let bytes = keyBytes.get(name);
  if (bytes === undefined) {
    bytes = utf8.encode(name);
    if (keyBytes.size >= 256) keyBytes.clear();
    keyBytes.set(name, bytes);
  }
  return bytes;
}

function hasExtraFields(payload: Payload): boolean {
  const external = (payload as { externalPayloads?: unknown[] | null }).externalPayloads;
  return Array.isArray(external) && external.length > 0;
}

function metadataEntryLength(key: Uint8Array, value: Uint8Array): number {
  return 1 + varintLength(key.length) + key.length + 1 + varintLength(value.length) + value.length;
}

/**
 * The generated codec's encoding of a payload with fields beyond metadata and data (rare), else undefined: the
 * payload is then written by {@link payloadHeadLength} / {@link writePayloadHead} followed by its data.
 */
export function extendedPayloadBytes(payload: Payload): Uint8Array | undefined {
  return hasExtraFields(payload) ? PayloadMessage.encode(payload).finish() : undefined;
}

/**
 * The length of the head of `payload`'s serialization: its metadata entries and the `data` field's tag and length,
 * everything before the data bytes. Precondition: {@link extendedPayloadBytes} is undefined for it.
 */
export function payloadHeadLength(payload: Payload): number {
  let size = 0;
  const metadata = payload.metadata;
  if (metadata != null) {
    for (const name of Object.keys(metadata)) {
      const value = metadata[name];
      if (value == null) continue;
      const entryLength = metadataEntryLength(encodeKey(name), value);
      size += 1 + varintLength(entryLength) + entryLength;
    }
  }
  const dataLength = payload.data?.length ?? 0;
  if (dataLength > 0) size += 1 + varintLength(dataLength);
  return size;
}

/** Writes the head measured by {@link payloadHeadLength} into `out` at `offset`. */
export function writePayloadHead(payload: Payload, out: Uint8Array, offset: number): void {
  const metadata = payload.metadata;
  if (metadata != null) {
    for (const name of Object.keys(metadata)) {
      const value = metadata[name];
      if (value == null) continue;
      const key = encodeKey(name);
      out[offset++] = 0x0a; // field 1, length-delimited
      offset = writeVarint(out, offset, metadataEntryLength(key, value));
      out[offset++] = 0x0a; // map entry key
      offset = writeVarint(out, offset, key.length);
      out.set(key, offset);
      offset += key.length;
      out[offset++] = 0x12; // map entry value
      offset = writeVarint(out, offset, value.length);
      out.set(value, offset);
      offset += value.length;
    }
  }
  const dataLength = payload.data?.length ?? 0;
  if (dataLength > 0) {
    out[offset++] = 0x12; // field 2, length-delimited
    writeVarint(out, offset, dataLength);
  }
}

/** Serializes `payload` as protobuf bytes, split into a prefix and the untouched data. */
export function serializePayload(payload: Payload): SerializedPayload {
  const extended = extendedPayloadBytes(payload);
  if (extended !== undefined) return { prefix: extended, body: EMPTY };
  const prefix = new Uint8Array(payloadHeadLength(payload));
  writePayloadHead(payload, prefix, 0);
  return { prefix, body: payload.data ?? EMPTY };
}

/** Serializes `payload` into one contiguous array (used by tests and the spec's vectors). */
export function serializePayloadBytes(payload: Payload): Uint8Array {
  const { prefix, body } = serializePayload(payload);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}
