import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request seen by the proxy (recorded whatever the mode, including refused ones). */
export interface ProxiedRequest {
  method: string;
  /** Path plus query string, e.g. `/v1/secret/data/key?version=2`. */
  path: string;
}

/** `forward`: relay to the target (502 if it is down). `refuse`: reset the connection without answering. */
export type ProxyMode = 'forward' | 'refuse';

/** A running {@link startCountingProxy} instance. */
export interface CountingProxy {
  /** Base URL to give clients instead of the target, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every request received, in arrival order. */
  readonly requests: ProxiedRequest[];
  /** Number of recorded requests, optionally only those matching `filter`. */
  count(filter?: (r: ProxiedRequest) => boolean): number;
  /** Forgets recorded requests. */
  reset(): void;
  setMode(mode: ProxyMode): void;
  /** Extra latency before forwarding, so concurrent callers overlap on a cold cache. Default 0. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

// Connection-level headers describe the client<->proxy hop, not the proxy<->target one (RFC 9110 section 7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && name !== 'host') out[name] = value;
  }
  return out;
}

function badGateway(res: ServerResponse, error: Error): void {
  if (res.headersSent) {
    // Mid-body failure: the only honest signal left is a truncated response.
    res.destroy(error);
    return;
  }
  const body = JSON.stringify({ errors: [`counting-proxy: upstream unavailable: ${error.message}`] });
  res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Starts an HTTP reverse proxy on a free loopback port that records every request and forwards it to `target`
 * (method, path + query, headers, streamed body), e.g. to count Vault reads behind a client cache.
 *
 * When the target is unreachable it answers 502, like a load balancer in front of a down Vault; `setMode('refuse')`
 * instead drops connections without an answer, like Vault itself being down.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  if (targetUrl.protocol !== 'http:') throw new Error(`startCountingProxy: only http targets are supported: ${target}`);
  const agent = new Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  let mode: ProxyMode = 'forward';
  let delayMs = 0;

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = httpRequest(
      {
        protocol: targetUrl.protocol,
        hostname: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: endToEndHeaders(req.headers),
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, endToEndHeaders(upstreamRes.headers));
        upstreamRes.pipe(res);
        upstreamRes.once('error', (error) => res.destroy(error));
      },
    );
    upstream.once('error', (error) => badGateway(res, error));
    // A client that gives up should not leave the upstream request dangling.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
    if (mode === 'refuse') {
      // resetAndDestroy sends a TCP RST (ECONNRESET on the client), closest to a crashed server.
      req.socket.resetAndDestroy();
      return;
    }
    if (delayMs > 0) {
      void sleep(delayMs).then(() => forward(req, res));
    } else {
      forward(req, res);
    }
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startCountingProxy: no TCP address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    count: (filter) => (filter ? requests.filter(filter).length : requests.length),
    reset: () => {
      requests.length = 0;
    },
    setMode: (next) => {
      // Idle keep-alive sockets are deliberately left open: the mode is checked per request, so a pooled socket still
      // gets its next request recorded and then reset. Closing them here would race with clients reusing them, and
      // such a request would fail without ever being counted.
      mode = next;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: async () => {
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
