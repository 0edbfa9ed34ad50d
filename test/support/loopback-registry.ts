import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { PackedPackage } from './packed-package.js';
import { projectRoot } from '../../harness/tools.js';

/** A registry on loopback that publishes one packed package and sends every other request to the real registry. */
export interface LoopbackRegistry {
  /** Base URL, for npm's `registry` setting. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `pkg` as if it were published: its packument at `/<name>` and its tarball, with the integrity npm checks.
 * Every other path is answered with a 307 to `upstream` (the registry the machine's npm is configured with), so npm
 * resolves the package's dependencies from the real registry, through its own cache.
 *
 * Why not install the `.tgz` file directly: npm 11 identifies a tarball dependency by its file path, not its name,
 * so `allowScripts` entries and `npm install-scripts` commands work differently for it than for a package from a
 * registry, which is what the README documents and what users have.
 */
export async function startLoopbackRegistry(pkg: PackedPackage, upstream: string): Promise<LoopbackRegistry> {
  const tarball = readFileSync(pkg.tarball);
  const manifest = JSON.parse(readFileSync(resolve(projectRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  const tarballPath = `/${pkg.name}/-/${pkg.name}-${pkg.version}.tgz`;
  const upstreamBase = upstream.replace(/\/+$/, '');
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === `/${pkg.name}`) {
      const { port } = server.address() as AddressInfo;
      const version = {
        ...manifest,
        _id: `${pkg.name}@${pkg.version}`,
        dist: {
          tarball: `http://127.0.0.1:${port}${tarballPath}`,
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
        },
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ name: pkg.name, 'dist-tags': { latest: pkg.version }, versions: { [pkg.version]: version } }),
      );
    } else if (path === tarballPath) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(tarball);
    } else {
      // 307 keeps the method and body, should npm ever POST (audit is turned off in the scratch projects).
      res.writeHead(307, { location: `${upstreamBase}${path}` });
      res.end();
    }
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
