import { createServer } from 'node:net';
import type { Server } from 'node:net';

function listenOnRandomPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolveListen, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: server.address() did not return a TCP address'));
        return;
      }
      resolveListen({ server, port: address.port });
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolveClose, reject) => server.close((error) => (error ? reject(error) : resolveClose())));
}

/**
 * Asks the OS for a currently unused TCP port on 127.0.0.1.
 *
 * The port is released before returning, so another process could grab it before the caller binds it; callers that
 * spawn servers should treat an early "address in use" exit as retryable.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('freePort: no port allocated');
  return port;
}

/**
 * Like {@link freePort} for `count` ports at once, guaranteed distinct: all are held open until every one has been
 * allocated (separate `freePort()` calls may hand out the same just-released port twice).
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const { server, port } = await listenOnRandomPort();
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}
