import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import {
  CachingKeyProvider,
  VaultClient,
  VaultKvStore,
  type CachingOptions,
  type VaultClientOptions,
} from '../../codec/index.js';

const utf8 = new TextEncoder();

/** A JSON payload as the SDK's default converter writes it. */
export function jsonPayload(value: unknown): Payload {
  return { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(value)) };
}

/** Parses a decoded JSON payload. */
export function jsonValue(payload: Payload | undefined): unknown {
  return JSON.parse(new TextDecoder().decode(payload?.data ?? new Uint8Array()));
}

/** A path prefix no other test file uses, so files can share one OpenBao. */
export function uniquePrefix(label: string): string {
  return `test-${label}-${randomBytes(4).toString('hex')}/`;
}

/** A Vault KV key store and caching provider against `addr`, with fast-failing retries for tests. */
export function kvProvider(
  vault: { addr: string; token: string },
  options: { pathPrefix: string; mount?: string; cache?: CachingOptions; client?: Partial<VaultClientOptions> },
) {
  const client = new VaultClient({
    endpoint: vault.addr,
    token: vault.token,
    retries: 1,
    backoffMs: 10,
    timeoutMs: 2000,
    ...options.client,
  });
  const store = new VaultKvStore({ client, pathPrefix: options.pathPrefix, mount: options.mount ?? 'secret' });
  const provider = new CachingKeyProvider(store, options.cache);
  return { client, store, provider };
}

/**
 * Requests to the shared Vault with its root token, for what a test sets up as an administrator (mounts, policies,
 * auth roles). Throws with Vault's own answer on any status but 2xx; resolves to the parsed JSON body, if any.
 */
export function rootRequester(vault: { addr: string; token: string }) {
  return async function root<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${vault.addr}/v1/${path}`, {
      method,
      headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}
