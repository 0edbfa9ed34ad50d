import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadToJson } from '../../codec-server/payload-json.js';
import { writePayloads, type AnswerPayload } from '../../codec-server/payloads-writer.js';

/** What the writer must produce: the objects of `payloadToJson`, serialized by `JSON.stringify`. */
function reference(items: readonly AnswerPayload[]): string {
  const payloads = items.map((item) =>
    typeof item === 'string' ? (JSON.parse(item) as unknown) : payloadToJson(item),
  );
  return JSON.stringify({ payloads });
}

const bytes = fc.uint8Array({ maxLength: 300 });
// Keys with quotes, backslashes, control characters, non-ASCII and astral characters, prototype names, digits.
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'encoding', '0', '17', 'é', '"\\\n', '\u2028', '😀'),
);
const payload: fc.Arbitrary<Payload> = fc.record(
  {
    metadata: fc.dictionary(key, fc.option(bytes, { nil: undefined }), { maxKeys: 5 }).map((entries) => {
      // No prototype, as the codec and the parser make metadata (so `__proto__` is an ordinary key).
      const metadata = Object.create(null) as Record<string, Uint8Array>;
      for (const [name, value] of Object.entries(entries)) if (value !== undefined) metadata[name] = value;
      return metadata;
    }),
    data: fc.option(bytes, { nil: undefined }),
    externalPayloads: fc.array(
      fc.record({ sizeBytes: fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined }) }, { requiredKeys: [] }),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: ['metadata'] },
) as fc.Arbitrary<Payload>;
const passThrough = fc
  .record({ metadata: fc.dictionary(key, fc.base64String({ maxLength: 24 }), { maxKeys: 3 }), data: fc.base64String() })
  .map((json) => JSON.stringify(json));

describe('writePayloads', () => {
  it('writes byte for byte what JSON.stringify writes of payloadToJson, for any payloads and pass-through JSON', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(payload, passThrough), { maxLength: 6 }), (items) => {
        expect(writePayloads(items).toString('utf8')).toBe(reference(items));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes large payloads, empty answers and metadata values of every size', () => {
    const large: Payload = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(1 << 20, 7) };
    const empty: Payload = { metadata: {}, data: new Uint8Array(0) };
    const odd: Payload[] = [1, 2, 3, 4].map((n) => ({ metadata: { k: Buffer.alloc(n, n) }, data: Buffer.alloc(n) }));
    for (const items of [[], [large], [empty], odd, [large, '{"data":"AA=="}', empty]]) {
      const written = writePayloads(items);
      expect(written.toString('utf8')).toBe(reference(items));
      expect(JSON.parse(written.toString('utf8'))).toEqual(JSON.parse(reference(items)));
    }
  });
});
