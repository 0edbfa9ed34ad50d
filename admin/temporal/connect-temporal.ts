import { Connection, isGrpcServiceError, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import { readSecret, type ReadTextFile } from '../../codec/index.js';
import { ADMIN_ERROR_CODES, AdminError } from '../admin-error.js';
import type { PemSource, TemporalOptions } from './temporal-options.js';

/** The gRPC service the CLI reads and updates, as `@temporalio/client` types it. */
export type WorkflowService = Connection['workflowService'];

/**
 * A connection to Temporal's frontend for the admin commands. Every call goes through {@link workflowService}, which
 * counts calls per method (the usage report states them) and turns gRPC failures into {@link AdminError}s.
 */
export interface TemporalAccess {
  readonly address: string;
  readonly workflowService: WorkflowService;
  /** Calls made so far, per method name (`getWorkflowExecutionHistory`, ...). */
  callCounts(): Record<string, number>;
  close(): Promise<void>;
}

/** What {@link connectTemporal} needs besides the options. */
export interface ConnectTemporalDeps {
  readonly readFile?: ReadTextFile;
  /** Aborts every call in flight and every later one (SIGINT). */
  readonly signal?: AbortSignal;
}

// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html), named here to avoid depending on
// @grpc/grpc-js directly.
const GRPC = { cancelled: 1, deadlineExceeded: 4, notFound: 5, permissionDenied: 7, unavailable: 14, unauth: 16 };

/** The {@link AdminError} for a failed Temporal call (anything that is not a gRPC error propagates unchanged). */
export function temporalError(err: unknown, what: string, signal?: AbortSignal): unknown {
  if (signal?.aborted === true) {
    return new AdminError(ADMIN_ERROR_CODES.interrupted, `Interrupted during ${what}`, { cause: err });
  }
  if (!isGrpcServiceError(err)) return err;
  const detail = `${what}: ${err.details || err.message}`;
  switch (Number(err.code)) {
    case GRPC.notFound:
      return new AdminError(ADMIN_ERROR_CODES.temporalNotFound, detail, { cause: err });
    case GRPC.permissionDenied:
    case GRPC.unauth:
      return new AdminError(ADMIN_ERROR_CODES.temporalDenied, detail, { cause: err });
    case GRPC.unavailable:
    case GRPC.deadlineExceeded:
    case GRPC.cancelled:
      return new AdminError(ADMIN_ERROR_CODES.temporalUnavailable, detail, { cause: err });
    default:
      return err;
  }
}

async function pem(source: PemSource, what: string, readFile: ReadTextFile | undefined): Promise<Buffer> {
  return Buffer.from(await readSecret(source, what, readFile), 'utf8');
}

async function tlsConfig(options: TemporalOptions, readFile?: ReadTextFile): Promise<TLSConfig | false> {
  if (options.tls === false) return false;
  const { serverName, ca, clientCert } = options.tls;
  return {
    ...(serverName === undefined ? {} : { serverNameOverride: serverName }),
    ...(ca === undefined ? {} : { serverRootCACertificate: await pem(ca, 'Temporal TLS CA', readFile) }),
    ...(clientCert === undefined
      ? {}
      : {
          clientCertPair: {
            crt: await pem(clientCert.cert, 'Temporal TLS client certificate', readFile),
            key: await pem(clientCert.key, 'Temporal TLS client key', readFile),
          },
        }),
  };
}

/**
 * Connects to the frontend (10 s to connect, the client's own retries on transient failures). Read-only commands
 * are safe to interrupt at any point: an aborted call rejects with ERR_INTERRUPTED.
 *
 * @throws AdminError ERR_TEMPORAL_UNAVAILABLE when the frontend cannot be reached.
 */
export async function connectTemporal(
  options: TemporalOptions,
  deps: ConnectTemporalDeps = {},
): Promise<TemporalAccess> {
  const connectionOptions: ConnectionOptions = {
    address: options.address,
    tls: await tlsConfig(options, deps.readFile),
    connectTimeout: '10 seconds',
    ...(options.apiKey === undefined
      ? {}
      : { apiKey: await readSecret(options.apiKey, 'Temporal API key', deps.readFile) }),
  };
  let connection: Connection;
  try {
    connection = await Connection.connect(connectionOptions);
  } catch (err) {
    const mapped = temporalError(err, `connecting to Temporal at ${options.address}`, deps.signal);
    throw mapped instanceof AdminError
      ? mapped
      : new AdminError(
          ADMIN_ERROR_CODES.temporalUnavailable,
          `Cannot connect to Temporal at ${options.address}: ${String(err)}`,
          {
            cause: err,
          },
        );
  }
  const counts: Record<string, number> = {};
  const service = connection.workflowService;
  const signal = deps.signal;
  const counted = new Proxy(service, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (request: unknown) => {
        counts[property] = (counts[property] ?? 0) + 1;
        const call = () => (value as (r: unknown) => Promise<unknown>).call(target, request);
        const pending = signal === undefined ? call() : abortable(connection, signal, call);
        return pending.catch((err: unknown) => {
          throw temporalError(err, property, signal);
        });
      };
    },
  });
  return {
    address: options.address,
    workflowService: counted,
    callCounts: () => ({ ...counts }),
    close: () => connection.close(),
  };
}

/**
 * Runs one call cancellable by `signal`. The client adds an `abort` listener per call to the signal it is given and
 * never removes it, so each call gets its own short-lived signal: a scan of a million histories must not pile a
 * million listeners (and the calls they hold) onto the process-wide one.
 */
async function abortable<T>(connection: Connection, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  if (signal.aborted) throw new AdminError(ADMIN_ERROR_CODES.interrupted, 'Interrupted');
  const own = new AbortController();
  const forward = () => own.abort();
  signal.addEventListener('abort', forward, { once: true });
  try {
    return await connection.withAbortSignal(own.signal, call);
  } finally {
    signal.removeEventListener('abort', forward);
  }
}
