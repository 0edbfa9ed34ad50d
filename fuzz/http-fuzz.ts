import fc from 'fast-check';
import { checkAnswer, requestArbitrary, sendRaw, startFuzzTarget } from '../harness/http-fuzz.js';

/** Result of fuzzing the codec server's HTTP surface. */
export interface HttpFuzzResult {
  readonly cases: number;
  readonly violations: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  /** V8 heap in use after a full collection, before and after. */
  readonly heapBeforeMiB: number;
  readonly heapAfterMiB: number;
}

const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const heapMiB = () => Math.round(process.memoryUsage().heapUsed / 2 ** 20);
const collect = () => (globalThis as { gc?: () => void }).gc?.();

/** Sends `cases` arbitrary requests to an in-process codec server and checks each answer and that it stays up. */
export async function runHttpFuzz(options: { cases: number; seed: number }): Promise<HttpFuzzResult> {
  const target = await startFuzzTarget();
  try {
    target.storageViolation();
    // Warm up so the "before" figure includes the server's steady state, not its first allocations.
    await fc.check(
      fc.asyncProperty(requestArbitrary(target.references), (r) => sendRaw(target.port, r).then(() => true)),
      { numRuns: 200, seed: options.seed },
    );
    collect();
    const rssBeforeMiB = rssMiB();
    const heapBeforeMiB = heapMiB();
    let violations = 0;
    const result = await fc.check(
      fc.asyncProperty(requestArbitrary(target.references), async (request) => {
        const problem = checkAnswer(request, await sendRaw(target.port, request)) ?? target.storageViolation();
        if (problem !== undefined) throw new Error(problem);
      }),
      { numRuns: options.cases, seed: options.seed, endOnFailure: true },
    );
    if (result.failed) {
      violations++;
      console.error(
        `http: VIOLATION: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
      );
      console.error(`  request: ${fc.stringify(result.counterexample).slice(0, 500)}`);
    }
    const health = await sendRaw(target.port, { method: 'GET', path: '/healthz', headers: [], body: Buffer.alloc(0) });
    if (health.status !== 200) {
      violations++;
      console.error('http: the server no longer answers /healthz');
    }
    collect();
    // Bounded memory: after a full collection the heap must be back near where it started (RSS is reported too, but
    // the allocator keeps freed pages, so it is not the test).
    if (heapMiB() - heapBeforeMiB > 32) {
      violations++;
      console.error(`http: heap grew from ${heapBeforeMiB} MiB to ${heapMiB()} MiB`);
    }
    return {
      cases: result.numRuns,
      violations,
      rssBeforeMiB,
      rssAfterMiB: rssMiB(),
      heapBeforeMiB,
      heapAfterMiB: heapMiB(),
    };
  } finally {
    await target.close();
  }
}
