import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDecode,
  createFuzzFixture,
  mutationArbitrary,
  originalFor,
  randomPayloadArbitrary,
  type FuzzFixture,
} from '../../harness/decoder-fuzz.js';
import { checkParserAgreement, parserInputArbitrary } from '../../harness/payload-parser-fuzz.js';

// A few thousand cases per `npm test`; `npm run fuzz` runs the same properties 100,000+ times.
let fixture: FuzzFixture;
beforeAll(async () => {
  fixture = await createFuzzFixture();
});
afterAll(() => fixture.close());

describe('decoder under fuzzing', () => {
  it('gives the original or a typed error for any mutation of a genuine payload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutationArbitrary(), async (index, mutate) => {
        const genuine = fixture.encrypted[index % fixture.encrypted.length]!;
        const input = mutate(genuine, fixture);
        expect(await checkDecode(fixture, input, originalFor(fixture, input))).toBeUndefined();
      }),
      { numRuns: 3000, interruptAfterTimeLimit: 20_000 },
    );
  });

  it('gives a typed error or a pass-through for random payloads', async () => {
    await fc.assert(
      fc.asyncProperty(randomPayloadArbitrary(), async (payload) => {
        expect(await checkDecode(fixture, payload, undefined)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('opens every unmodified genuine payload to its original', async () => {
    for (const payload of fixture.encrypted)
      expect(await checkDecode(fixture, payload, originalFor(fixture, payload))).toBeUndefined();
  });
});

describe('payload parser, differential', () => {
  it('answers exactly as the generated decoder, or steps aside, on valid, mutated and random bytes', () => {
    fc.assert(
      fc.property(parserInputArbitrary(), (bytes) => {
        expect(checkParserAgreement(bytes)).toBeUndefined();
      }),
      { numRuns: 5000 },
    );
  });
});
