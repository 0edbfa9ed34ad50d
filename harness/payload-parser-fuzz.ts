import proto from '@temporalio/proto';
import fc from 'fast-check';
import { parseFast } from '../codec/payload-parse.js';
import { serializePayloadBytes } from '../codec/payload-proto.js';

/**
 * The differential property of the payload parser, shared by the unit suite and `npm run fuzz`: on every input the
 * hand-written fast parser either steps aside (undefined, the generated decoder then judges) or gives exactly what
 * `@temporalio/proto`'s generated decoder gives. It never throws, and never answers where the generated decoder
 * refuses.
 */

const PayloadMessage = proto.temporal.api.common.v1.Payload;
const utf8 = new TextEncoder();

/** Entries of a metadata object as plain comparable values (own keys, bytes as hex), with a `__proto__` entry. */
function entriesOf(metadata: unknown): Array<[string, string]> {
  if (metadata == null) return [];
  const record = metadata as Record<string, Uint8Array>;
  const entries: Array<[string, string]> = Object.keys(record).map((key) => [
    key,
    Buffer.from(record[key]!).toString('hex'),
  ]);
  const prototype: unknown = Object.getPrototypeOf(record);
  if (prototype !== Object.prototype && prototype !== null) {
    entries.push(['__proto__', Buffer.from(prototype as Uint8Array).toString('hex')]);
  }
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Undefined when the fast parser agrees with the generated decoder on `bytes`, else what differs. */
export function checkParserAgreement(bytes: Uint8Array): string | undefined {
  let fast;
  try {
    fast = parseFast(bytes);
  } catch (err) {
    return `fast parser threw ${String(err)}`;
  }
  if (fast === undefined) return undefined;
  let generated;
  try {
    generated = PayloadMessage.decode(bytes);
  } catch (err) {
    return `fast parser answered where the generated decoder refused (${String(err)})`;
  }
  const fastData = Buffer.from(fast.data ?? new Uint8Array(0)).toString('hex');
  const generatedData = Buffer.from(generated.data ?? new Uint8Array(0)).toString('hex');
  if (fastData !== generatedData) return 'data differs';
  if (JSON.stringify(entriesOf(fast.metadata)) !== JSON.stringify(entriesOf(generated.metadata))) {
    return 'metadata differs';
  }
  if ((generated.externalPayloads?.length ?? 0) > 0) return 'fast parser dropped externalPayloads';
  return undefined;
}

const keyArbitrary = fc.oneof(
  fc.constantFrom('encoding', 'messageType', '__proto__', 'constructor', ''),
  fc.string({ maxLength: 12 }),
);

/** Serialized payloads: valid ones, valid ones with bytes flipped, inserted, cut or appended, and random bytes. */
export function parserInputArbitrary(): fc.Arbitrary<Uint8Array> {
  const valid = fc
    .record({
      metadata: fc.dictionary(keyArbitrary, fc.uint8Array({ maxLength: 20 }), { maxKeys: 4 }),
      data: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ metadata, data }) => {
      const own = Object.create(null) as Record<string, Uint8Array>;
      for (const [key, value] of Object.entries(metadata)) own[key] = value;
      return serializePayloadBytes({ metadata: own, data });
    });
  const mutated = fc
    .tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'cut', 'append'))
    .map(([bytes, at, value, how]) => {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      const out = Array.from(bytes);
      if (how === 'flip' && out.length > 0) out[i] = out[i]! ^ (value || 1);
      if (how === 'insert') out.splice(i, 0, value);
      if (how === 'cut') out.length = i;
      // An unknown field last: a varint (field 5), a fixed64 (field 6) or a length-delimited one (field 7).
      if (how === 'append')
        out.push(
          ...[
            [0x28, value & 0x7f],
            [0x31, 1, 2, 3, 4, 5, 6, 7, 8],
            [0x3a, 1, value],
          ][value % 3]!,
        );
      return Uint8Array.from(out);
    });
  return fc.oneof(valid, mutated, fc.uint8Array({ maxLength: 80 }), fc.constant(utf8.encode('\n\u0000\u0012\u0000')));
}
