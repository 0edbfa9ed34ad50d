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

/** Builds the JSON logger (pino) with secrets redacted. */
export function createLogger(options: LoggerOptions): ServerLogger {
  return pino(
    {
      level: options.level,
      base: { service: 'temporal-codec-server' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
