import fc from 'fast-check';
import { parseArgs } from 'node:util';
import {
  checkDecode,
  createFuzzFixture,
  mutationArbitrary,
  originalFor,
  randomPayloadArbitrary,
} from '../harness/decoder-fuzz.js';
import { bodyReaderInputArbitrary, checkBodyReaderAgreement } from '../harness/body-reader-fuzz.js';
import { checkParserAgreement, parserInputArbitrary } from '../harness/payload-parser-fuzz.js';
import { runHttpFuzz } from './http-fuzz.js';
import { aeadBackend } from '../codec/index.js';

// `npm run fuzz [-- --cases N] [-- --http-cases N] [-- --seed S]`: the decoder properties of the unit suite at
// fuzzing volume, then the codec server's HTTP surface. Exits non-zero on any violation.

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    'http-cases': { type: 'string', default: '10000' },
    seed: { type: 'string' },
  },
});
const cases = Number(values.cases);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
console.log(`seed ${seed}, AES-GCM ${aeadBackend().name}`);

const fixture = await createFuzzFixture();
let violations = 0;
let run = 0;
const started = performance.now();
const report = <T>(label: string, result: fc.RunDetails<T>) => {
  run += result.numRuns;
  if (result.failed) {
    violations++;
    console.error(
      `${label}: VIOLATION after ${result.numRuns} cases: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
    );
    console.error(`  counterexample: ${fc.stringify(result.counterexample)}`);
  }
};
report(
  'mutations of genuine payloads',
  await fc.check(
    fc.asyncProperty(fc.nat(), mutationArbitrary(), async (index, mutate) => {
      const genuine = fixture.encrypted[index % fixture.encrypted.length]!;
      const input = mutate(genuine, fixture);
      const problem = await checkDecode(fixture, input, originalFor(fixture, input));
      if (problem !== undefined) throw new Error(problem);
    }),
    { numRuns: Math.ceil(cases * 0.8), seed },
  ),
);
report(
  'random payloads',
  await fc.check(
    fc.asyncProperty(randomPayloadArbitrary(), async (payload) => {
      const problem = await checkDecode(fixture, payload, undefined);
      if (problem !== undefined) throw new Error(problem);
    }),
    { numRuns: Math.floor(cases * 0.2), seed },
  ),
);
report(
  'payload parser against the generated decoder',
  fc.check(
    fc.property(parserInputArbitrary(), (bytes) => {
      const problem = checkParserAgreement(bytes);
      if (problem !== undefined) throw new Error(problem);
    }),
    { numRuns: cases, seed },
  ),
);
report(
  'codec server body reader against JSON.parse',
  fc.check(
    fc.property(bodyReaderInputArbitrary(), (bytes) => {
      const problem = checkBodyReaderAgreement(bytes);
      if (problem !== undefined) throw new Error(problem);
    }),
    { numRuns: Math.ceil(cases / 5), seed },
  ),
);
await fixture.close();
console.log(
  `decoder: ${run} cases in ${((performance.now() - started) / 1000).toFixed(1)} s, ${violations} violations (crashes, untyped errors, wrong plaintext, parser or body reader disagreements)`,
);

const http = await runHttpFuzz({ cases: Number(values['http-cases']), seed });
console.log(
  `http: ${http.cases} requests, ${http.violations} violations (5xx, non-JSON errors, crashes), RSS ${http.rssBeforeMiB} -> ${http.rssAfterMiB} MiB, heap ${http.heapBeforeMiB} -> ${http.heapAfterMiB} MiB`,
);
process.exitCode = violations + http.violations === 0 ? 0 : 1;
