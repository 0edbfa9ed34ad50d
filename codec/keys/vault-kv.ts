import { randomBytes } from 'node:crypto';
import { CodecError, ERROR_CODES } from '../errors.js';
import { ROOT_KEY_BYTES } from '../types.js';
import { KEY_SOURCE_DEFAULTS } from './key-source.js';
import type { VaultClient } from './vault-client.js';
import { checkVaultMount } from './vault-mount-check.js';
import type { KeyVersionInfo, KeyVersionState, LatestKey, VersionedKeyStore } from './versioned-key-store.js';

/** Options of {@link VaultKvStore}. */
export interface VaultKvOptions {
  readonly client: VaultClient;
  /** KV v2 mount. Default {@link KEY_SOURCE_DEFAULTS}.kvMount. */
  readonly mount?: string;
  /** Prefix of the per-key secret paths. Default {@link KEY_SOURCE_DEFAULTS}.kvPathPrefix. */
  readonly pathPrefix?: string;
  /** Create a namespace's key on first encryption. Default false: keys are created by an administrator. */
  readonly createMissingKeys?: boolean;
  /**
   * `max_versions` written on every key's metadata. KV v2 silently deletes versions beyond it (0 means the mount's
   * default, 10), which would make old payloads unreadable, so it is always set explicitly. Default 100,000.
   */
  readonly maxVersions?: number;
}

interface KvVersionMetadata {
  version: number;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
  custom_metadata?: Record<string, string> | null;
}
interface KvReadResponse {
  data?: { data: { key?: unknown } | null; metadata: KvVersionMetadata | null } | null;
}
interface KvMetadataResponse {
  data?: {
    current_version: number;
    max_versions: number;
    versions: Record<string, { created_time: string; deletion_time: string; destroyed: boolean }>;
    custom_metadata?: Record<string, string> | null;
  } | null;
}

/** Custom metadata field listing deactivated (decrypt-only) versions, comma separated. */
export const INACTIVE_VERSIONS_FIELD = 'inactive_versions';

/**
 * Key material in Vault KV v2: one secret per key id at `<mount>/data/<prefix><keyId>` holding
 * `{ "key": "<base64 32 bytes>" }`. Vault's secret versions are the key versions. Deactivated versions are listed in
 * the secret's custom metadata, which every data read returns, so the newest active version costs one request.
 */
export class VaultKvStore implements VersionedKeyStore {
  readonly kind = 'vault-kv';
  readonly #client: VaultClient;
  readonly #mount: string;
  readonly #prefix: string;
  readonly #createMissing: boolean;
  readonly #maxVersions: number;

  constructor(options: VaultKvOptions) {
    this.#client = options.client;
    this.#mount = trimSlashes(options.mount ?? KEY_SOURCE_DEFAULTS.kvMount);
    this.#prefix = options.pathPrefix ?? KEY_SOURCE_DEFAULTS.kvPathPrefix;
    this.#createMissing = options.createMissingKeys ?? false;
    this.#maxVersions = options.maxVersions ?? 100_000;
    if (!Number.isInteger(this.#maxVersions) || this.#maxVersions < 1) {
      throw new CodecError(
        ERROR_CODES.invalidConfig,
        'maxVersions must be a positive integer (0 would mean 10 in Vault)',
      );
    }
  }

  async readLatest(keyId: string): Promise<LatestKey> {
    let response = await this.#client.request<KvReadResponse>('GET', this.#path('data', keyId));
    if (response?.data?.metadata == null && this.#createMissing) {
      await this.createKey(keyId).catch((err: unknown) => {
        if (!(err instanceof CodecError && err.code === ERROR_CODES.invalidArgument)) throw err;
      });
      response = await this.#client.request<KvReadResponse>('GET', this.#path('data', keyId));
    }
    const metadata = response?.data?.metadata;
    if (metadata == null) throw new CodecError(ERROR_CODES.unknownKey, 'Unknown key', { context: { keyId } });
    const inactive = parseInactive(metadata.custom_metadata);
    if (response?.data?.data != null && !inactive.has(metadata.version)) {
      return { version: metadata.version, key: this.#material(response.data.data, keyId, metadata.version) };
    }
    // The newest version is deactivated or deleted: walk down to the newest usable one (rare, administrative).
    for (let version = metadata.version - 1; version >= 1; version--) {
      if (inactive.has(version)) continue;
      try {
        return { version, key: await this.readVersion(keyId, version) };
      } catch (err) {
        if (
          err instanceof CodecError &&
          (err.code === ERROR_CODES.keyVersionDestroyed || err.code === ERROR_CODES.unknownKeyVersion)
        )
          continue;
        throw err;
      }
    }
    throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Key has no active version', { context: { keyId } });
  }

  async readVersion(keyId: string, version: number): Promise<Buffer> {
    const response = await this.#client.request<KvReadResponse>(
      'GET',
      `${this.#path('data', keyId)}?version=${version}`,
    );
    const metadata = response?.data?.metadata;
    if (metadata == null || metadata.version !== version) {
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
    }
    if (metadata.destroyed || metadata.deletion_time !== '' || response?.data?.data == null) {
      throw new CodecError(ERROR_CODES.keyVersionDestroyed, 'Key version was destroyed or deleted', {
        context: { keyId, version },
      });
    }
    return this.#material(response.data.data, keyId, version);
  }

  /** Checks Vault, the token and the KV v2 mount this store reads (see `checkVaultMount`). */
  checkHealth(): Promise<void> {
    return checkVaultMount(this.#client, this.#mount, 'kv-v2');
  }

  /** Creates version 1 (fails with ERR_INVALID_ARGUMENT if the key exists), setting `max_versions` first. */
  async createKey(keyId: string): Promise<KeyVersionInfo> {
    await this.#client.request('POST', this.#path('metadata', keyId), { max_versions: this.#maxVersions });
    return this.#writeVersion(keyId, 0);
  }

  /** Writes a new newest version (check-and-set against the current one), keeping `max_versions` explicit. */
  async rotateKey(keyId: string): Promise<KeyVersionInfo> {
    const current = await this.#metadata(keyId);
    if (current === undefined) return this.createKey(keyId);
    if (current.max_versions !== this.#maxVersions) {
      await this.#client.request('POST', this.#path('metadata', keyId), { max_versions: this.#maxVersions });
    }
    return this.#writeVersion(keyId, current.current_version);
  }

  /** Every version of `keyId`, oldest first, with its state. */
  async listVersions(keyId: string): Promise<KeyVersionInfo[]> {
    const metadata = await this.#metadata(keyId);
    if (metadata === undefined) throw new CodecError(ERROR_CODES.unknownKey, 'Unknown key', { context: { keyId } });
    const inactive = parseInactive(metadata.custom_metadata);
    return Object.entries(metadata.versions)
      .map(([v, m]) => {
        const version = Number(v);
        const state: KeyVersionState =
          m.destroyed || m.deletion_time !== '' ? 'destroyed' : inactive.has(version) ? 'inactive' : 'active';
        return { version, createdAt: m.created_time, state };
      })
      .sort((a, b) => a.version - b.version);
  }

  /** Key ids under the prefix. */
  async listKeys(): Promise<string[]> {
    const response = await this.#client.request<{ data?: { keys?: string[] } }>(
      'GET',
      `/${this.#mount}/metadata/${this.#prefix}?list=true`,
    );
    return (response?.data?.keys ?? []).filter((k) => !k.endsWith('/')).map(decodeURIComponent);
  }

  /** Deactivates, reactivates or destroys (permanently, `destroy` endpoint) a version. */
  async setVersionState(keyId: string, version: number, state: KeyVersionState): Promise<KeyVersionInfo> {
    const metadata = await this.#metadata(keyId);
    const existing = metadata?.versions[String(version)];
    if (metadata === undefined || existing === undefined) {
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
    }
    if (state === 'destroyed') {
      await this.#client.request('POST', this.#path('destroy', keyId), { versions: [version] });
    } else {
      if (existing.destroyed)
        throw new CodecError(ERROR_CODES.keyVersionDestroyed, 'A destroyed version cannot be restored', {
          context: { keyId, version },
        });
      const inactive = parseInactive(metadata.custom_metadata);
      if (state === 'inactive') inactive.add(version);
      else inactive.delete(version);
      const custom: Record<string, string> = { ...(metadata.custom_metadata ?? {}) };
      // KV v2 refuses empty custom metadata values: drop the field once no version is inactive.
      if (inactive.size > 0) custom[INACTIVE_VERSIONS_FIELD] = [...inactive].sort((a, b) => a - b).join(',');
      else delete custom[INACTIVE_VERSIONS_FIELD];
      await this.#client.request('POST', this.#path('metadata', keyId), {
        custom_metadata: custom,
        max_versions: this.#maxVersions,
      });
    }
    return { version, createdAt: existing.created_time, state };
  }

  async #writeVersion(keyId: string, cas: number): Promise<KeyVersionInfo> {
    const material = randomBytes(ROOT_KEY_BYTES);
    const body = { data: { key: material.toString('base64') }, options: { cas } };
    material.fill(0);
    let response: { data?: { version: number; created_time: string } } | undefined;
    try {
      response = await this.#client.request('POST', this.#path('data', keyId), body);
    } catch (err) {
      if (err instanceof CodecError && err.code === ERROR_CODES.invalidConfig && /check-and-set/i.test(err.message)) {
        throw new CodecError(
          ERROR_CODES.invalidArgument,
          cas === 0 ? 'Key already exists' : 'Key changed concurrently; retry',
          {
            cause: err,
            context: { keyId },
          },
        );
      }
      throw err;
    } finally {
      body.data.key = '';
    }
    if (response?.data === undefined)
      throw new CodecError(ERROR_CODES.keySourceUnavailable, 'Vault did not confirm the write', { context: { keyId } });
    return { version: response.data.version, createdAt: response.data.created_time, state: 'active' };
  }

  async #metadata(keyId: string): Promise<NonNullable<KvMetadataResponse['data']> | undefined> {
    const response = await this.#client.request<KvMetadataResponse>('GET', this.#path('metadata', keyId));
    return response?.data ?? undefined;
  }

  #path(kind: 'data' | 'metadata' | 'destroy' | 'delete', keyId: string): string {
    return `/${this.#mount}/${kind}/${this.#prefix}${encodeURIComponent(keyId)}`;
  }

  #material(data: { key?: unknown }, keyId: string, version: number): Buffer {
    const key = typeof data.key === 'string' ? Buffer.from(data.key, 'base64') : Buffer.alloc(0);
    if (key.length !== ROOT_KEY_BYTES) {
      key.fill(0);
      throw new CodecError(
        ERROR_CODES.invalidKeyMaterial,
        `Vault secret must hold a base64 "key" of ${ROOT_KEY_BYTES} bytes`,
        {
          context: { keyId, version },
        },
      );
    }
    return key;
  }
}

function parseInactive(custom: Record<string, string> | null | undefined): Set<number> {
  const text = custom?.[INACTIVE_VERSIONS_FIELD] ?? '';
  return new Set(
    text
      .split(',')
      .filter((v) => /^\d+$/.test(v))
      .map(Number),
  );
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}
