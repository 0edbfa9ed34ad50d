import type { TestProject } from 'vitest/node';

import { OpenBaoServer } from '../harness/openbao-server.js';

/**
 * Vitest global setup: provides `vault` ({ addr, token }) to every test file via `inject('vault')`.
 *
 * Uses `VAULT_ADDR` + `VAULT_TOKEN` when set (e.g. a CI service container), otherwise starts one OpenBao dev server
 * shared by the whole run; tests must namespace their paths/mounts so files running in parallel do not collide.
 *
 * @returns a teardown that stops the server it started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const externalAddr = process.env.VAULT_ADDR;
  if (externalAddr) {
    const token = process.env.VAULT_TOKEN;
    if (!token) throw new Error('VAULT_ADDR is set but VAULT_TOKEN is not; set both, or neither to use a dev server');
    project.provide('vault', { addr: externalAddr.replace(/\/+$/, ''), token });
    // Nothing to tear down: the external server is not ours.
    return () => Promise.resolve();
  }

  const server = await OpenBaoServer.startDev();
  project.provide('vault', { addr: server.addr, token: server.token });
  return async () => {
    await server.stop();
  };
}
