#!/usr/bin/env node
import { runCli } from './run-cli.js';

// The only place the CLI touches the process: everything else takes its inputs as arguments.
// The first SIGINT/SIGTERM aborts the command cleanly (Temporal calls in flight are cancelled, nothing is half
// changed); a second one gets Node's default behaviour.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
process.once('SIGTERM', () => interrupt.abort());
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
});
