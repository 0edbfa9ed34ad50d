import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config-types.js';

/** The logger type the codec server's parts accept. */
export type ServerLogger = Logger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where JSON lines go. Default: stdout. Tests pass a stream that collects lines. */
  readonly destination?: DestinationStream;
}

/**
 * Paths pino removes before writing a line. The server never logs headers or bodies on purpose; this is the net
 * under that rule, for a future log call that passes a request or an error carrying one.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["authorization-extras"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["authorization-extras"]',
  'headers.cookie',
  'authorization',
  'token',
  '*.token',
  'vaultToken',
  'secret',
  '*.secret',
];

/** Bytes of log lines buffered before one write to stdout. */
const STDOUT_BUFFER_BYTES = 4096;

/**
 * Builds the JSON logger (pino) with secrets redacted. On stdout, lines (audit lines above all: one per request) are
 * collected into batches of about 4 KiB, each written with one `write` instead of one per line. The batch is written
 * synchronously when full: pino's asynchronous mode hands every batch to libuv's thread pool, and the wake-ups that
 * brings cost more CPU per request than the write itself (measured: about 40 event loop turns per batch instead of
 * one). What is buffered is written out by `flushLogger` on shutdown, and synchronously by pino's own exit handler
 * when the process exits. A crash that kills the process outright (SIGKILL, out of memory) loses what is in the
 * buffer: at most 4 KiB, a few dozen lines; an uncaught exception does not (the exit handler still runs).
 */
export function createLogger(options: LoggerOptions): ServerLogger {
  return pino(
    {
      level: options.level,
      base: { service: 'temporal-codec-server' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? stdoutDestination(),
  );
}

/** Buffered stdout destinations still open, written out when the process exits. */
const buffered = new Set<SonicBoomLike>();
type SonicBoomLike = DestinationStream & { flushSync(): void; destroyed?: boolean };

function stdoutDestination(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: true, minLength: STDOUT_BUFFER_BYTES }) as SonicBoomLike;
  // pino flushes its asynchronous destinations on exit, not synchronous ones: the batch in the buffer is ours to write.
  if (buffered.size === 0) process.once('exit', flushAtExit);
  buffered.add(destination);
  return destination;
}

function flushAtExit(): void {
  for (const destination of buffered) {
    try {
      if (destination.destroyed !== true) destination.flushSync();
    } catch {
      // stdout is gone (a closed pipe): nothing is left to write to.
    }
  }
  buffered.clear();
}

/** Writes out buffered log lines; resolves once they reached the destination (at once for unbuffered ones). */
export function flushLogger(logger: ServerLogger): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      // A destination that cannot flush (a plain stream) holds nothing back.
      resolve();
    }
  });
}
