import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../codec-server/http-error.js';
import { parsePayloadsBody } from '../../codec-server/payload-json.js';
import { readPayloadsEnvelope } from '../../codec-server/payloads-reader.js';

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
const body = fc.record({ payloads: fc.array(payload, { maxLength: 4 }) });
const whitespace = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');

/** JSON text of `value` with random whitespace between tokens and, sometimes, `\/` escapes inside strings. */
const spaced = fc
  .tuple(body, fc.array(whitespace, { minLength: 64, maxLength: 64 }), fc.boolean())
  .map(([value, spaces, escape]) => {
    let i = 0;
    const text = JSON.stringify(value).replace(/[{}[\],:]/g, (token) => `${token}${spaces[i++ % spaces.length]}`);
    return escape ? text.replace(/\//, '\\/') : text;
  });

/** What the reader must return when it returns anything: JSON.parse's value, with its key order. */
function expectSameAsJsonParse(text: string): unknown {
  const read = readPayloadsEnvelope(Buffer.from(text, 'utf8'));
  if (read === undefined) return undefined;
  const parsed = JSON.parse(text) as unknown;
  expect(read).toEqual(parsed);
  expect(JSON.stringify(read)).toBe(JSON.stringify(parsed));
  return read;
}

describe('readPayloadsEnvelope', () => {
  it('returns what JSON.parse returns, or steps aside, for generated bodies with any whitespace, keys and extras', () => {
    fc.assert(
      fc.property(spaced, (text) => void expectSameAsJsonParse(text)),
      { numRuns: 3_000 },
    );
  });

  it('reads the bodies the Web UI, the CLI and the SDKs send', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const bodies = [
      '{"payloads":[]}',
      `{"payloads":[{"metadata":{"encoding":"${b64('json/plain')}"},"data":"${b64('"hi"')}"}]}`,
      // Go's protojson puts spaces at random places.
      `{"payloads": [{"metadata": {"encoding": "${b64('binary/encrypted')}", "encryption-key-id":"${b64('default')}"},  "data":"${b64('x'.repeat(70_000))}"}]}`,
      '{ "payloads" : [ { } , { "metadata" : { } } ] }\n',
    ];
    for (const text of bodies) expect(expectSameAsJsonParse(text)).toBeDefined();
  });

  it('steps aside for everything else, so JSON.parse answers it as before', () => {
    const steps = [
      '',
      '\ufeff{"payloads":[]}',
      '{"payloads":null}',
      '{"payloads":[],"other":1}',
      '{"payloads":[{"data":"AA=="}]} x',
      '{"payloads":[{"data":"AA==","data":"AQ=="}]}',
      '{"payloads":[{"metadata":{"__proto__":"AA=="}}]}',
      '{"payloads":[{"metadata":{"k":"AA==","k":"AQ=="}}]}',
      '{"payloads":[{"metadata":{"é":"AA=="}}]}',
      '{"payloads":[{"data":"A\\u0041=="}]}',
      `{"payloads":[{"data":"${'A'.repeat(300)}é"}]}`,
      '{"payloads":[{"data":null}]}',
      '{"payloads":[{"data":"AA=="},]}',
      '{"payloads":[{"data":"AA=="}',
      '{"payloads":[{"externalPayloads":[]}]}',
    ];
    for (const text of steps) expect(readPayloadsEnvelope(Buffer.from(text, 'utf8')), text).toBeUndefined();
  });

  it('never accepts a mangled body differently from JSON.parse, but for the one documented case', () => {
    const valid = spaced.filter((text) => readPayloadsEnvelope(Buffer.from(text)) !== undefined);
    const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('insert', 'replace', 'delete'));
    fc.assert(
      fc.property(valid, edit, (text, [position, byte, how]) => {
        const bytes = Buffer.from(text);
        const at = position % bytes.length;
        const mangled =
          how === 'delete'
            ? Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])
            : Buffer.concat([bytes.subarray(0, at), Buffer.of(byte), bytes.subarray(at + (how === 'replace' ? 1 : 0))]);
        const read = readPayloadsEnvelope(mangled);
        if (read === undefined) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(mangled.toString('utf8'));
        } catch {
          // A raw control character inside a long (base64) string: still a 400, naming the field.
          expect(byte).toBeLessThan(0x20);
          expect(() => parsePayloadsBody(read, 1000)).toThrow(HttpError);
          return;
        }
        expect(read).toEqual(parsed);
        expect(JSON.stringify(read)).toBe(JSON.stringify(parsed));
      }),
      { numRuns: 5_000 },
    );
  });
});
