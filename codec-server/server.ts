import { readFile as fsReadFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CodecError, ERROR_CODES } from '../codec/index.js';
import { flushLogger } from './logger.js';
import { createServerHandler } from './server-handler.js';
import type { ServerDeps } from './server-deps.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  readonly deps: ServerDeps;
  /** Reads the TLS certificate and key. Default `fs.readFile`. */
  readonly readFile?: (path: string) => Promise<Buffer>;
}

/** A listening codec server. */
export interface RunningServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  readonly server: Server;
  /**
   * Stops accepting connections, fails readiness, lets in-flight requests finish for up to `graceMs`, then closes
   * whatever is left and releases the dependencies (cached keys zeroed). Safe to call twice.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Builds the app and listens on the configured host and port: https when a certificate and key are configured, else
 * http. Keep-alive stays on with a timeout above common load balancers' (60 s), so the Web UI's one-request-per-field
 * decoding and the CLI's serial decoding reuse connections.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { deps } = options;
  const { config } = deps;
  let draining = false;
  const app = createServerHandler({ ...deps, isShuttingDown: () => draining });
  const tls = config.listen.tls;
  let server: Server;
  if (tls === undefined) {
    server = createHttpServer(app.serverOptions, app);
  } else {
    const read = options.readFile ?? ((path: string) => fsReadFile(path));
    const [cert, key] = await Promise.all([read(tls.certPath), read(tls.keyPath)]).catch((cause: unknown) => {
      throw new CodecError(
        ERROR_CODES.invalidConfig,
        `cannot read --tls-cert ${tls.certPath} or --tls-key ${tls.keyPath}`,
        { cause },
      );
    });
    server = createHttpsServer({ ...app.serverOptions, cert, key }, app);
  }
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Node's own limit on receiving a whole request; the codec work has its own deadline (--request-timeout-ms).
  server.requestTimeout = Math.max(30_000, config.limits.requestTimeoutMs * 2);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === 'EADDRINUSE'
          ? '; pick another --port'
          : err.code === 'EACCES'
            ? '; ports below 1024 need privileges'
            : '';
      reject(
        new CodecError(
          ERROR_CODES.invalidConfig,
          `cannot listen on ${config.listen.host}:${config.listen.port} (${err.code})${hint}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `${tls === undefined ? 'http' : 'https'}://${host}:${port}`;
  let stopping: Promise<void> | undefined;

  const shutdown = (graceMs = config.shutdownGraceMs): Promise<void> => {
    stopping ??= (async () => {
      draining = true;
      deps.logger.info({ graceMs }, 'shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections would otherwise hold the server open until their timeout: close each as soon as it is
      // idle, including those whose in-flight request finishes during the grace period.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      sweeper.unref();
      const grace = setTimeout(() => {
        deps.logger.warn('grace period over; closing the remaining connections');
        server.closeAllConnections();
      }, graceMs);
      grace.unref();
      await closed;
      clearTimeout(grace);
      clearInterval(sweeper);
      await deps.close();
      deps.logger.info('stopped');
      // Audit lines are buffered: every one of them is out before shutdown resolves.
      await flushLogger(deps.logger);
    })();
    return stopping;
  };

  return { url, server, shutdown };
}
