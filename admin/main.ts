#!/usr/bin/env node
import { runCli } from './run-cli.js';

// The only place the CLI touches the process: everything else takes its inputs as arguments.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
