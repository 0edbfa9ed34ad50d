import { CodecError, ERROR_CODES } from '../errors.js';
import type { VaultClient } from './vault-client.js';

/** The kinds of mount the key sources use. */
export type VaultMountKind = 'kv-v2' | 'transit';

interface MountInfo {
  data?: { type?: unknown; path?: unknown; options?: { version?: unknown } | null } | null;
}

/**
 * Readiness of a Vault key source, with the token and the mount it really uses: one
 * `GET sys/internal/ui/mounts/<mount>`, Vault's own mount preflight (the one its CLI runs before every `kv`
 * command). Vault answers it for any token holding some capability under the mount, so least-privilege policies
 * pass (the shipped ones, or one narrowed to a single namespace's key), and it proves in one request:
 *
 * - Vault answers and is unsealed (sealed: 503, ERR_KEY_SOURCE_UNAVAILABLE after the client's retries);
 * - the token is valid and reaches the mount (else 403, ERR_KEY_SOURCE_DENIED; Vault also says 403 for a mount that
 *   does not exist, so as not to reveal which mounts do);
 * - the mount is the kind the key source needs (KV version 2, or Transit), at exactly that path (ERR_INVALID_CONFIG);
 * - the answer is Vault's at all: an error page or anything else that is not Vault's JSON is ERR_KEY_SOURCE_UNAVAILABLE.
 *
 * It reads no key and no secret. A token whose policy covers other paths under the mount than the key prefix passes;
 * the first key read then fails with ERR_KEY_SOURCE_DENIED.
 */
export async function checkVaultMount(
  client: Pick<VaultClient, 'request'>,
  mount: string,
  kind: VaultMountKind,
): Promise<void> {
  const answer = await client.request<MountInfo>('GET', `/sys/internal/ui/mounts/${mount}`);
  const data = typeof answer === 'object' && answer !== null ? answer.data : undefined;
  if (typeof data !== 'object' || data === null || typeof data.type !== 'string' || typeof data.path !== 'string') {
    throw new CodecError(
      ERROR_CODES.keySourceUnavailable,
      `Vault's answer about mount ${mount} is not Vault's (an error page or a proxy in the way?)`,
    );
  }
  const expected = kind === 'kv-v2' ? 'a KV version 2 mount' : 'a Transit mount';
  if (data.path !== `${mount}/`) {
    throw new CodecError(
      ERROR_CODES.invalidConfig,
      `${mount} is not a mount: it lies inside ${data.path}; give ${expected}`,
    );
  }
  const ok = kind === 'kv-v2' ? data.type === 'kv' && data.options?.version === '2' : data.type === 'transit';
  if (!ok) {
    const version = data.options?.version;
    const found = data.type === 'kv' ? `KV version ${typeof version === 'string' ? version : '1'}` : data.type;
    throw new CodecError(ERROR_CODES.invalidConfig, `Mount ${mount} is ${found}, not ${expected}`);
  }
}
