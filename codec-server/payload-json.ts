import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { STORAGE_REFERENCE, isStorageReference as isReference } from '../codec/index.js';
import { HttpError, SERVER_ERROR_CODES, badRequest } from './http-error.js';

/**
 * The JSON (protojson) form of `temporal.api.common.v1.Payloads`, as the Web UI and the CLI send it:
 * `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>","externalPayloads":[{"sizeBytes":"123"}]}]}`.
 *
 * Converted by hand: `payloadToJSON` of the SDK's proto-utils breaks on duplicate protobufjs copies, and a hand-written
 * check can name the exact field that is wrong (`payloads[3].data is not valid base64`).
 */

/** A JSON object as parsed from a request body. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** One request payload: its JSON exactly as received, and its binary form for the codec. */
export interface ParsedPayload {
  /** The payload's JSON object as received; answered as is when the payload passes through untouched. */
  readonly json: JsonObject;
  readonly payload: Payload;
}

type SizeBytes = NonNullable<temporal.api.common.v1.Payload.ExternalPayloadDetails.$Properties['sizeBytes']>;

// protojson accepts the JSON name and the proto field name of every field.
const PAYLOAD_FIELDS = new Set(['metadata', 'data', 'externalPayloads', 'external_payloads']);
const DETAIL_FIELDS = new Set(['sizeBytes', 'size_bytes']);
const INT64 = /^(0|[1-9][0-9]{0,18})$/;
const EMPTY = new Uint8Array(0);

/** Metadata `messageType` of an External Storage reference payload (`temporal.api.sdk.v1.ExternalStorageReference`). */
export const STORAGE_REFERENCE_MESSAGE_TYPE = STORAGE_REFERENCE.messageType;

/**
 * Validates a request body and converts its payloads. Runs every check before any crypto, and fails on the first
 * problem with a 400 naming the field, or a 413 when there are more than `maxPayloads` payloads.
 *
 * `{}` and `{"payloads": null}` are zero payloads, as in protojson (which omits empty repeated fields). Unknown
 * fields are rejected, as protojson does: encoding a payload must never silently drop part of it.
 */
export function parsePayloadsBody(body: unknown, maxPayloads: number): ParsedPayload[] {
  if (!isObject(body)) throw badRequest('request body must be a JSON object such as {"payloads":[...]}');
  const list = body.payloads;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw badRequest('payloads must be an array');
  if (list.length > maxPayloads) {
    throw new HttpError(
      413,
      SERVER_ERROR_CODES.tooManyPayloads,
      `request has ${list.length} payloads; this server accepts at most ${maxPayloads} (--max-payloads)`,
    );
  }
  return list.map((item: unknown, index) => {
    const json = assertObject(item, `payloads[${index}]`);
    return { json, payload: toPayload(json, `payloads[${index}]`) };
  });
}

function toPayload(json: Record<string, unknown>, at: string): Payload {
  for (const key of Object.keys(json)) {
    if (!PAYLOAD_FIELDS.has(key)) throw badRequest(`${at}.${key} is not a Payload field`);
  }
  const metadata: Record<string, Uint8Array> = {};
  if (json.metadata !== undefined && json.metadata !== null) {
    for (const [key, value] of Object.entries(assertObject(json.metadata, `${at}.metadata`))) {
      metadata[key] = decodeMetadataValue(value, `${at}.metadata[${JSON.stringify(key)}]`);
    }
  }
  const data = json.data === undefined || json.data === null ? EMPTY : decodeBase64(json.data, `${at}.data`);
  const payload: Payload = { metadata, data };
  const external = json.externalPayloads ?? json.external_payloads;
  if (external !== undefined && external !== null) {
    if (!Array.isArray(external)) throw badRequest(`${at}.externalPayloads must be an array`);
    const details = external.map((detail: unknown, i) => toDetails(detail, `${at}.externalPayloads[${i}]`));
    if (details.length > 0) payload.externalPayloads = details;
  }
  return payload;
}

function toDetails(detail: unknown, at: string): { sizeBytes?: SizeBytes } {
  const json = assertObject(detail, at);
  for (const key of Object.keys(json)) {
    if (!DETAIL_FIELDS.has(key)) throw badRequest(`${at}.${key} is not an ExternalPayloadDetails field`);
  }
  const size = json.sizeBytes ?? json.size_bytes;
  if (size === undefined || size === null) return {};
  const digits = typeof size === 'number' && Number.isSafeInteger(size) ? String(size) : size;
  if (typeof digits !== 'string' || !INT64.test(digits) || !Number.isSafeInteger(Number(digits))) {
    throw badRequest(`${at}.sizeBytes must be a non-negative integer`);
  }
  // protobufjs writes int64 fields from plain numbers; sizes below 2^53 bytes are exact.
  return { sizeBytes: Number(digits) as unknown as SizeBytes };
}

// Metadata values repeat across payloads (every encrypted payload of a batch names the same encoding, format, key
// id and version): short ones are decoded once. The arrays are shared, so nothing may write to them; the codec only
// reads metadata. Bounded, since values come from callers.
const MAX_MEMO_LENGTH = 128;
const metadataMemo = new Map<string, Uint8Array>();

function decodeMetadataValue(value: unknown, at: string): Uint8Array {
  if (typeof value === 'string' && value.length <= MAX_MEMO_LENGTH) {
    const known = metadataMemo.get(value);
    if (known !== undefined) return known;
    const bytes = decodeBase64(value, at);
    if (metadataMemo.size >= 1024) metadataMemo.clear();
    metadataMemo.set(value, bytes);
    return bytes;
  }
  return decodeBase64(value, at);
}

/**
 * Strict base64, as protojson reads `bytes`: the standard or URL-safe alphabet (not both), with or without padding.
 * Node's decoder skips characters it does not know and stops at a misplaced `=`, so instead of scanning the string
 * with a regular expression (a tenth of the server's time on large batches), the decoded length is checked: any
 * skipped or misplaced character makes it shorter than the length the string implies.
 */
function decodeBase64(value: unknown, at: string): Uint8Array {
  if (typeof value !== 'string') throw badRequest(`${at} must be a base64 string`);
  let end = value.length;
  if (end > 0 && value.charCodeAt(end - 1) === 0x3d) {
    if (value.length % 4 !== 0) throw badRequest(`${at} is not valid base64`);
    end--;
    if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  }
  if (end % 4 === 1) throw badRequest(`${at} is not valid base64`);
  const bytes = Buffer.from(value, 'base64');
  const urlSafe = value.includes('-') || value.includes('_');
  if (bytes.length !== Math.floor((end * 3) / 4) || (urlSafe && (value.includes('+') || value.includes('/')))) {
    throw badRequest(`${at} is not valid base64`);
  }
  return bytes;
}

/** The JSON form of a payload the codec produced: standard padded base64, empty fields omitted as protojson does. */
export function payloadToJson(payload: Payload): JsonObject {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value !== null && value !== undefined) metadata[key] = toBase64(value);
  }
  const json: Record<string, unknown> = { metadata };
  if (payload.data !== null && payload.data !== undefined && payload.data.length > 0)
    json.data = toBase64(payload.data);
  const external = payload.externalPayloads ?? [];
  if (external.length > 0) {
    json.externalPayloads = external.map((detail) => {
      const size = detail.sizeBytes === null || detail.sizeBytes === undefined ? '0' : detail.sizeBytes.toString();
      return size === '0' ? {} : { sizeBytes: size };
    });
  }
  return json;
}

/** True for an External Storage reference payload (`json/protobuf` + its `messageType`), which encode never alters. */
export function isStorageReference(payload: Payload): boolean {
  return isReference(payload);
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertObject(value: unknown, at: string): Record<string, unknown> {
  if (!isObject(value)) throw badRequest(`${at} must be an object`);
  return value;
}
