import { readFile } from 'node:fs/promises';
import { CodecError, ERROR_CODES } from '../errors.js';
import type { VaultClient } from '../keys/vault-client.js';
import { SAMPLES_LAYOUT } from './samples-format.js';

/**
 * Where the keys of the samples' payloads come from: one fixed 32-byte AES key per key id (the samples have no key
 * versions). Implementations do the I/O; the codec never does.
 */
export interface SamplesKeySource {
  /**
   * A copy of the key of `keyId`, which the caller zeroes.
   *
   * @throws CodecError ERR_UNKNOWN_KEY when there is none, ERR_INVALID_KEY_MATERIAL when it is not 32 bytes,
   * ERR_KEY_SOURCE_UNAVAILABLE / ERR_KEY_SOURCE_DENIED from Vault.
   */
  key(keyId: string): Promise<Buffer>;
  /** Zeroes the keys held in memory. */
  close(): void;
}

/** The field of each Vault secret that holds the key (base64 or hex). */
export const SAMPLES_VAULT_KEY_FIELD = 'key';

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * A key written as 64 hex digits or as base64 of 32 bytes.
 *
 * @throws CodecError ERR_INVALID_KEY_MATERIAL otherwise (the message names the key id, never the value).
 */
export function parseSamplesKey(text: unknown, keyId: string): Buffer {
  if (typeof text === 'string') {
    const trimmed = text.trim();
    if (HEX.test(trimmed)) return Buffer.from(trimmed, 'hex');
    if (BASE64.test(trimmed)) return Buffer.from(trimmed, 'base64');
  }
  throw new CodecError(
    ERROR_CODES.invalidKeyMaterial,
    `The samples key of key id ${JSON.stringify(keyId)} is not ${SAMPLES_LAYOUT.keyBytes} bytes in base64 or hex`,
    { context: { keyId } },
  );
}

function unknownKey(keyId: string): CodecError {
  return new CodecError(ERROR_CODES.unknownKey, 'No samples key for this key id', { context: { keyId } });
}

/**
 * Keys read once from a JSON file `{ "<key id>": "<base64 or hex key>" }`, at the first request; a file that cannot
 * be read or parsed fails that request with ERR_INVALID_CONFIG and is read again at the next.
 */
export function samplesKeysFromFile(
  path: string,
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): SamplesKeySource {
  let loading: Promise<Map<string, Buffer>> | undefined;
  let keys: Map<string, Buffer> | undefined;
  const load = async (): Promise<Map<string, Buffer>> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await read(path));
    } catch (cause) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'The samples keys file cannot be read as JSON', { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'The samples keys file must be a JSON object of key id -> key');
    }
    const map = new Map<string, Buffer>();
    for (const [keyId, value] of Object.entries(parsed)) map.set(keyId, parseSamplesKey(value, keyId));
    return map;
  };
  return {
    async key(keyId) {
      if (keys === undefined) {
        loading ??= load().finally(() => (loading = undefined));
        keys = await loading;
      }
      const key = keys.get(keyId);
      if (key === undefined) throw unknownKey(keyId);
      return Buffer.from(key);
    },
    close() {
      for (const key of keys?.values() ?? []) key.fill(0);
      keys = undefined;
    },
  };
}

/** Where {@link samplesKeysFromVault} reads: a KV v2 mount and a folder under it. */
export interface SamplesVaultLocation {
  readonly client: VaultClient;
  /** `<mount>/<folder>`, e.g. `secret/temporal-samples-keys`: key id `k` is the secret `<mount>/data/<folder>/k`. */
  readonly path: string;
  /** Keys kept in memory (they never change: a samples key id has one key). Default 256. */
  readonly maxKeys?: number;
}

/**
 * Keys in Vault KV v2, one secret per key id at `<mount>/data/<folder>/<key id>` whose field `key` holds it (base64
 * or hex). Cached (at most `maxKeys`, the oldest zeroed first), one request in flight per key id; absent keys are not
 * cached, so a key written later is found.
 */
export function samplesKeysFromVault(location: SamplesVaultLocation): SamplesKeySource {
  const [mount, ...rest] = location.path.split('/').filter((part) => part.length > 0);
  if (mount === undefined || rest.length === 0) {
    throw new CodecError(ERROR_CODES.invalidConfig, 'The samples keys Vault path must be <kv-v2 mount>/<folder>');
  }
  const folder = rest.join('/');
  const maxKeys = location.maxKeys ?? 256;
  const keys = new Map<string, Buffer>();
  const inFlight = new Map<string, Promise<Buffer>>();
  const fetchKey = async (keyId: string): Promise<Buffer> => {
    const response = await location.client.request<{ data?: { data?: Record<string, unknown> } }>(
      'GET',
      `/${mount}/data/${folder}/${encodeURIComponent(keyId)}`,
    );
    const value = response?.data?.data?.[SAMPLES_VAULT_KEY_FIELD];
    if (value === undefined) throw unknownKey(keyId);
    const key = parseSamplesKey(value, keyId);
    if (keys.size >= maxKeys) {
      const [oldest, evicted] = keys.entries().next().value as [string, Buffer];
      keys.delete(oldest);
      evicted.fill(0);
    }
    keys.set(keyId, key);
    // The callers sharing this request copy from a snapshot of their own: the cached key may be evicted (zeroed).
    return Buffer.from(key);
  };
  return {
    async key(keyId) {
      const key = keys.get(keyId);
      if (key === undefined) {
        let pending = inFlight.get(keyId);
        if (pending === undefined) {
          pending = fetchKey(keyId).finally(() => inFlight.delete(keyId));
          inFlight.set(keyId, pending);
        }
        return Buffer.from(await pending);
      }
      return Buffer.from(key);
    },
    close() {
      for (const key of keys.values()) key.fill(0);
      keys.clear();
    },
  };
}
