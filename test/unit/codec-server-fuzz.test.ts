import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer, requestArbitrary, sendRaw, startFuzzTarget, type FuzzTarget } from '../support/http-fuzz.js';

// A few hundred requests per `npm test`; `npm run fuzz` sends 10,000+.
let target: FuzzTarget;
beforeAll(async () => {
  target = await startFuzzTarget();
});
afterAll(() => target.close());

describe('codec server under HTTP fuzzing', () => {
  it('answers every request with a non-5xx status and JSON errors, and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(), async (request) => {
        expect(checkAnswer(request, await sendRaw(target.port, request))).toBeUndefined();
      }),
      { numRuns: 400 },
    );
    expect(
      (await sendRaw(target.port, { method: 'GET', path: '/healthz', headers: [], body: Buffer.alloc(0) })).status,
    ).toBe(200);
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
