import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPayloadsEnvelope } from '../../codec-server/payloads-reader.js';
import {
  bodyReaderInputArbitrary,
  bodyTextArbitrary,
  checkBodyReaderAgreement,
} from '../../harness/body-reader-fuzz.js';

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
  it('returns what JSON.parse returns, or steps aside, for generated and mangled bodies', () => {
    fc.assert(
      fc.property(bodyReaderInputArbitrary(), (bytes) => {
        const problem = checkBodyReaderAgreement(bytes);
        if (problem !== undefined) throw new Error(problem);
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads most generated bodies itself (the property above is not vacuous)', () => {
    const texts = fc.sample(bodyTextArbitrary(), { numRuns: 500, seed: 1 });
    const read = texts.filter((text) => expectSameAsJsonParse(text) !== undefined);
    expect(read.length).toBeGreaterThan(100);
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
});
