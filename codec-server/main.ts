#!/usr/bin/env node
import cluster from 'node:cluster';
import { loadAeadEngine, type AeadEngine } from '../codec/index.js';
import { runPrimary } from './cluster.js';
import { loadConfig } from './config.js';
import { usage } from './config-docs.js';
import { isLoopbackHost } from './request-guards.js';
import type { ServerConfig } from './config-types.js';
import { createServerDeps } from './server-deps.js';
import { startServer } from './server.js';

/**
 * The `temporal-codec-server` command: reads the configuration (flags, then environment), listens, prints one line
 * with the URL on stderr (stdout carries JSON logs), and shuts down gracefully on SIGTERM or SIGINT. A second signal
 * exits at once.
 */
async function main(): Promise<number> {
  let config: ServerConfig;
  let aead: AeadEngine;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
    // `require` without a usable native module is a configuration error: refuse to start.
    aead = loadAeadEngine(config.nativeAead);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (config.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (config.workers > 1 && cluster.isPrimary) {
    return runPrimary({
      workers: config.workers,
      shutdownGraceMs: config.shutdownGraceMs,
      report: (line) => process.stderr.write(`${line}\n`),
    });
  }
  const deps = await createServerDeps(config, { aead });
  const running = await startServer({ deps }).catch(async (err: unknown) => {
    await deps.close();
    throw err;
  });
  const auth = config.auth.mode === 'none' ? 'auth off' : `auth ${config.auth.mode}`;
  process.stderr.write(
    `temporal-codec-server listening on ${running.url} (keys: ${deps.keySourceDescription}; ${auth}; AES-GCM ${aead.name})\n`,
  );
  deps.logger.info(
    { url: running.url, keySource: config.keySource.kind, auth: config.auth.mode, aead: aead.name },
    'listening',
  );
  if (aead.reason !== undefined) deps.logger.info({ reason: aead.reason }, 'native AES-GCM module not in use');
  if (config.auth.mode === 'none' && !isLoopbackHost(config.listen.host)) {
    // Without auth, anyone who can reach the port can decrypt every payload of every namespace it serves.
    deps.logger.warn({ host: config.listen.host }, 'auth is off on a non-loopback address; use --auth static or jwt');
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const forceExit = () => {
    process.stderr.write('second signal: exiting now\n');
    process.exit(1);
  };
  process.once('SIGTERM', forceExit);
  process.once('SIGINT', forceExit);
  deps.logger.info({ signal }, 'signal received');
  await running.shutdown(config.shutdownGraceMs);
  // A worker's IPC channel to the primary stays referenced while anything listens for its messages (the cluster
  // metrics do), and would keep this process alive after a clean stop until the primary's backstop kills it.
  if (cluster.isWorker && process.connected) process.disconnect();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`temporal-codec-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
