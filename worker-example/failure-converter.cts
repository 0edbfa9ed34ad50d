/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call -- plain CommonJS on purpose, see below */
/**
 * The failure converter of the example's data converter: failure messages and stack traces go into
 * `encodedAttributes`, which the payload codec encrypts like any other payload (the server stores the message
 * "Encoded failure" and an empty stack trace).
 *
 * Why this file is CommonJS written in the subset of TypeScript that is also JavaScript: the SDK loads it by path
 * (`DataConverter.failureConverterPath`) twice, with Node's `require()` in the worker and the client, and with
 * webpack into the workflow sandbox. `require()` must be able to load it straight from the source tree (vitest runs
 * the sources, and Node 20 cannot strip types) as well as from `dist/` (`tsc` turns `.cts` into `.cjs`), so it may
 * contain no type annotations, and its one import is therefore untyped.
 */
'use strict';

const { DefaultFailureConverter } = require('@temporalio/common');

module.exports = { failureConverter: new DefaultFailureConverter({ encodeCommonAttributes: true }) };
