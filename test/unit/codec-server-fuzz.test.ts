import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer, requestArbitrary, sendRaw, startFuzzTarget, type FuzzTarget } from '../../harness/http-fuzz.js';

// A few hundred requests per `npm test`; `npm run fuzz` sends 10,000+.
let target: FuzzTarget;
beforeAll(async () => {
  target = await startFuzzTarget();
});
afterAll(() => target.close());

describe('codec server under HTTP fuzzing', () => {
  it('answers every request with a non-5xx status and JSON errors, and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(target.references), async (request) => {
        expect(checkAnswer(request, await sendRaw(target.port, request))).toBeUndefined();
        expect(target.storageViolation()).toBeUndefined();
      }),
      { numRuns: 400 },
    );
    expect(
      (await sendRaw(target.port, { method: 'GET', path: '/healthz', headers: [], body: Buffer.alloc(0) })).status,
    ).toBe(200);
  });

  it('answers fuzzed storage references on /download with 4xx, and asks the store only for well-formed ones', async () => {
    let answered = 0;
    let ok = 0;
    const before = target.storageRequests();
    await fc.assert(
      fc.asyncProperty(fc.tuple(requestArbitrary(target.references), fc.boolean()), async ([fuzzed, ownNamespace]) => {
        // Every case goes to /download; half of them for the namespace that has the stored objects.
        const headers = ownNamespace ? fuzzed.headers.filter(([name]) => name !== 'X-Namespace') : fuzzed.headers;
        const request = { ...fuzzed, method: 'POST', path: '/default/download', headers };
        const answer = await sendRaw(target.port, request);
        expect(checkAnswer(request, answer)).toBeUndefined();
        // Garbage bodies, other namespaces and references to objects that are not there: all the client's doing.
        if (answer.status !== undefined && answer.status !== 200) expect(answer.status).toBeLessThan(500);
        expect(target.storageViolation()).toBeUndefined();
        answered++;
        if (answer.status === 200) ok++;
      }),
      { numRuns: 400 },
    );
    expect(answered).toBe(400);
    expect(ok).toBeGreaterThan(0);
    // Not vacuous whatever the random cases were: a well-formed reference is fetched and decoded.
    const wellFormed = await sendRaw(target.port, {
      method: 'POST',
      path: '/default/download',
      headers: [['Content-Type', 'application/json']],
      body: Buffer.from(JSON.stringify({ payloads: [target.references[0]] })),
    });
    expect(wellFormed.status).toBe(200);
    expect(target.storageViolation()).toBeUndefined();
    expect(target.storageRequests() - before).toBeGreaterThan(0);
  });

  it.each(['de\u0001fault', 'default\nX-Injected: yes', 'default\rX-Injected: yes', '../default', 'a/b'])(
    'refuses X-Namespace %j with 400 and never reflects it into response headers',
    async (namespace) => {
      const answer = await sendRaw(target.port, {
        method: 'POST',
        path: '/decode',
        headers: [
          ['X-Namespace', namespace],
          ['Content-Type', 'application/json'],
        ],
        body: Buffer.from('{"payloads":[]}'),
      });
      expect(answer.status).toBe(400);
      expect(answer.head).not.toContain('X-Injected');
    },
  );
});
