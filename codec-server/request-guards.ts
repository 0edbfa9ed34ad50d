import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';

/** What {@link requestGuards} checks against. */
export interface RequestGuardsConfig {
  /** The CORS allow-list (normalized origins, or `*`): a POST from any other browser origin is refused. */
  readonly corsOrigins: readonly string[];
  /** The address the server binds; a loopback one turns the `Host` check on. */
  readonly bindHost: string;
  /** Extra `Host` values accepted (`name` for any port, `name:port` for one); a non-empty list turns the check on. */
  readonly allowedHosts: readonly string[];
}

/** Host names a loopback-bound server answers to, with the port it listens on. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for the addresses `--host` may name that only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Refuses what a web page could make the operator's browser send, whatever the auth mode:
 *
 * - a request whose `Host` is not this server's name when it listens on loopback (or whose `Host` is not listed in
 *   `--allowed-hosts`): DNS rebinding points a foreign name at 127.0.0.1, and the browser then treats the server's
 *   answers as that foreign page's own. 403 `ERR_HOST_NOT_ALLOWED`.
 * - a POST whose `Origin` is present and not on the CORS allow-list: a page may send a "simple" cross-origin POST
 *   without a preflight, and it runs even though the page cannot read the answer. 403 `ERR_ORIGIN_NOT_ALLOWED`.
 *
 * Clients that are not browsers (the `temporal` CLI, SDKs, probes) send no `Origin` and a correct `Host`.
 */
export function requestGuards(config: RequestGuardsConfig): RequestHandler {
  const check = requestGuard(config);
  return (req, _res, next) => {
    next(check(req.method, req.headers.host, req.get('origin'), req.socket));
  };
}

/**
 * {@link requestGuards} as a function of the request's method, `Host`, `Origin` and socket: the error to answer
 * with, or undefined. Host decisions are remembered per `Host` value and local port (a client sends the same one on
 * every request).
 */
export function requestGuard(
  config: RequestGuardsConfig,
): (
  method: string | undefined,
  host: string | undefined,
  origin: string | undefined,
  socket: Socket,
) => HttpError | undefined {
  const origins = new Set(config.corsOrigins);
  const anyOrigin = origins.has('*');
  const listed = config.allowedHosts.map(parseHost).filter((host) => host !== undefined);
  const checkHost = isLoopbackHost(config.bindHost) || listed.length > 0;
  const decided = new Map<string, boolean>();
  const allowed = (header: string | undefined, socket: Socket): boolean => {
    if (header === undefined) return false;
    const key = `${socket.localPort ?? ''}|${(socket as TLSSocket).encrypted === true ? 's' : ''}|${header}`;
    let verdict = decided.get(key);
    if (verdict === undefined) {
      verdict = hostAllowed(header, socket, listed);
      if (decided.size >= MAX_REMEMBERED_HOSTS) decided.clear();
      decided.set(key, verdict);
    }
    return verdict;
  };
  return (method, host, origin, socket) => {
    if (checkHost && !allowed(host, socket)) {
      return new HttpError(403, SERVER_ERROR_CODES.hostNotAllowed, 'the Host header does not name this server');
    }
    if (method === 'POST' && origin !== undefined && !anyOrigin && !origins.has(origin)) {
      return new HttpError(
        403,
        SERVER_ERROR_CODES.originNotAllowed,
        'requests from this browser origin are not allowed; add it to --cors-origins',
      );
    }
    return undefined;
  };
}

/** Distinct `Host` values whose verdict is kept (a bound: the values come from clients). */
const MAX_REMEMBERED_HOSTS = 256;

/**
 * Express middleware for the codec routes: the body must be declared `application/json` (parameters allowed). A web
 * page can send `text/plain`, form or multipart bodies cross-origin without a preflight, but not JSON.
 */
export function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    next(jsonBodyError(req.get('content-type')));
  };
}

/** {@link requireJsonBody} as a function of the `Content-Type` header: the 415 to answer with, or undefined. */
export function jsonBodyError(contentType: string | undefined): HttpError | undefined {
  if (contentType !== 'application/json') {
    const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return new HttpError(
        415,
        SERVER_ERROR_CODES.unsupportedMediaType,
        'the request body must be sent with Content-Type: application/json',
      );
    }
  }
  return undefined;
}

interface HostValue {
  /** Lower case; IPv6 literals keep their brackets. */
  readonly name: string;
  readonly port?: number;
}

/** Parses `name[:port]` or `[v6][:port]`; undefined when it is neither. */
export function parseHost(value: string): HostValue | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (match?.[1] === undefined) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65_535) return undefined;
  return { name: match[1].toLowerCase(), ...(port === undefined ? {} : { port }) };
}

/**
 * Loopback names count only with the port the request arrived on (so a name pointed at another local service's port
 * does not pass); a `Host` without a port means the scheme's default port.
 */
function hostAllowed(header: string, socket: Socket, listed: readonly HostValue[]): boolean {
  const host = parseHost(header);
  if (host === undefined) return false;
  const hostPort = host.port ?? ((socket as TLSSocket).encrypted === true ? 443 : 80);
  if (LOOPBACK_NAMES.has(host.name) && hostPort === socket.localPort) return true;
  return listed.some((entry) => entry.name === host.name && (entry.port === undefined || entry.port === hostPort));
}
