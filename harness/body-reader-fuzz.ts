import fc from 'fast-check';
import { HttpError } from '../codec-server/http-error.js';
import { parsePayloadsBody } from '../codec-server/payload-json.js';
import { readPayloadsEnvelope } from '../codec-server/payloads-reader.js';

/**
 * The differential property of the codec server's body reader, shared by the unit suite and `npm run fuzz`: on every
 * body it either steps aside (undefined: `JSON.parse` then judges) or returns exactly what `JSON.parse` returns, key
 * order included. The one documented exception: a raw control character inside a long string, which `JSON.parse`
 * refuses and the reader passes on to the base64 check, which must then refuse it (400).
 */

const base64 = fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('base64'));
const key = fc.oneof(
  fc.constantFrom('encoding', 'encryption-key-id', '__proto__', 'constructor', '0', 'a"b', 'tab\there', 'é', '😀'),
  fc.string({ maxLength: 10 }),
);
const payload = fc.record(
  {
    metadata: fc.dictionary(key, base64, { maxKeys: 4 }),
    data: base64,
    externalPayloads: fc.constant([{ sizeBytes: '12' }]),
    extra: fc.constantFrom(null, 1, true, 'x'),
  },
  { requiredKeys: [] },
);
const whitespace = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');

/** Bodies as JSON text with random whitespace between tokens and, sometimes, a `\/` escape inside a string. */
export function bodyTextArbitrary(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.record({ payloads: fc.array(payload, { maxLength: 4 }) }),
      fc.array(whitespace, { minLength: 64, maxLength: 64 }),
      fc.boolean(),
    )
    .map(([value, spaces, escape]) => {
      let i = 0;
      const text = JSON.stringify(value).replace(/[{}[\],:]/g, (token) => `${token}${spaces[i++ % spaces.length]}`);
      return escape ? text.replace(/\//, '\\/') : text;
    });
}

/** Bodies: generated ones, and generated ones with a byte inserted, replaced or deleted. */
export function bodyReaderInputArbitrary(): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('insert', 'replace', 'delete'));
  const mangled = fc.tuple(bodyTextArbitrary(), edit).map(([text, [position, byte, how]]) => {
    const bytes = Buffer.from(text);
    const at = position % bytes.length;
    return how === 'delete'
      ? Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])
      : Buffer.concat([bytes.subarray(0, at), Buffer.of(byte), bytes.subarray(at + (how === 'replace' ? 1 : 0))]);
  });
  return fc.oneof(
    bodyTextArbitrary().map((text) => Buffer.from(text)),
    mangled,
  );
}

/** Undefined when the reader agrees with `JSON.parse` on `bytes` (or steps aside), else what differs. */
export function checkBodyReaderAgreement(bytes: Buffer): string | undefined {
  let read;
  try {
    read = readPayloadsEnvelope(bytes);
  } catch (err) {
    return `reader threw ${String(err)}`;
  }
  if (read === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    // JSON.parse refuses a raw control character inside a string; inside a long one the reader leaves it to the
    // base64 check, which must refuse it (400) like any character outside the alphabet.
    try {
      parsePayloadsBody(read, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      return err instanceof HttpError && err.status === 400 ? undefined : `unexpected ${String(err)}`;
    }
    return 'reader answered a body JSON.parse refuses, and the checks let it through';
  }
  return JSON.stringify(read) === JSON.stringify(parsed) ? undefined : 'reader and JSON.parse differ';
}
