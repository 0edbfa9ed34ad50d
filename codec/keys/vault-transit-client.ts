import { CodecError, ERROR_CODES } from '../errors.js';
import { METADATA_KEYS, ROOT_KEY_BYTES } from '../types.js';
import { vaultErrorBody, type VaultClient } from './vault-client.js';
import { checkVaultMount } from './vault-mount-check.js';
import { classifyTransitError } from './vault-transit-errors.js';
import { KEY_SOURCE_DEFAULTS } from './key-source.js';

/** The part of {@link VaultClient} Transit needs; tests pass a fake. */
export type VaultRequester = Pick<VaultClient, 'request'>;

/** Where the Transit keys live. Shared by the key provider and the key lifecycle. */
export interface VaultTransitLocation {
  readonly client: VaultRequester;
  /** Transit mount. Default `transit`. */
  readonly mount?: string;
  /** Prepended to the key id to name the Transit key (letters, digits, `_ - . @`). Default `temporal-codec-`. */
  readonly keyPrefix?: string;
}

/** A data key fresh from `datakey/plaintext`: the plaintext and its wrapped form. */
export interface TransitDataKey {
  readonly version: number;
  /** 32 bytes; the caller owns and zeroes it. */
  readonly key: Buffer;
  /** `vault:vN:...`, carried in payload metadata. */
  readonly wrappedKey: string;
}

/** A Transit key's configuration as `GET <mount>/keys/<name>` reports it. */
export interface TransitKeyState {
  readonly name: string;
  readonly latestVersion: number;
  /** Versions below it are refused by `decrypt` (Vault reports at least 1). */
  readonly minDecryptionVersion: number;
  /** Versions below it may not be requested for encryption; 0 means no limit. */
  readonly minEncryptionVersion: number;
  /** Versions below it were trimmed: deleted from storage for good. 0 when never trimmed. */
  readonly minAvailableVersion: number;
  /** Vault's own rotation period in seconds; 0 when off. */
  readonly autoRotatePeriodSeconds: number;
  readonly derived: boolean;
  readonly exportable: boolean;
  readonly type: string;
  /** Creation time (Unix seconds) of each version still in the working set. */
  readonly createdAt: ReadonlyMap<number, number>;
}

interface KeyResponse {
  data?: {
    name: string;
    type: string;
    derived: boolean;
    exportable: boolean;
    latest_version: number;
    min_decryption_version: number;
    min_encryption_version: number;
    min_available_version: number;
    auto_rotate_period: number;
    keys: Record<string, number>;
  };
}

// Transit names match `\w(([\w-.@]+)?\w)?` (framework.GenericNameRegex), in Vault and OpenBao alike.
const KEY_NAME = /^\w(?:[\w.@-]*\w)?$/;
const WRAPPED_KEY = /^vault:v([1-9][0-9]{0,9}):[A-Za-z0-9+/]+={0,2}$/;
/** A wrapped 32-byte data key is about 90 characters; anything much longer is not one. */
const MAX_WRAPPED_KEY_LENGTH = 512;

/**
 * Reads the Transit key version from a wrapped data key's `vault:vN:` prefix.
 *
 * @throws CodecError ERR_MALFORMED_METADATA when it is not a Transit ciphertext.
 */
export function wrappedKeyVersion(wrappedKey: string): number {
  const match = wrappedKey.length <= MAX_WRAPPED_KEY_LENGTH ? WRAPPED_KEY.exec(wrappedKey) : null;
  const version = match === null ? NaN : Number(match[1]);
  if (!(version <= 0xffffffff)) {
    throw new CodecError(ERROR_CODES.malformedMetadata, `Metadata field ${METADATA_KEYS.wrappedKey} is malformed`, {
      context: { field: METADATA_KEYS.wrappedKey },
    });
  }
  return version;
}

/**
 * Typed calls to one Transit mount: data keys, unwrapping, and the key reads the lifecycle needs. Keys are `derived`
 * and every call passes the Temporal namespace as the derivation `context`, so a wrapped key only unwraps for the
 * namespace it was made for (Vault and OpenBao both support `context`; `associated_data` on `datakey` is not in
 * every Vault release).
 *
 * Transit's refusals are mapped to `CodecError` codes in one place, {@link classifyTransitError}.
 */
export class VaultTransitClient {
  readonly #client: VaultRequester;
  /** The mount, without slashes. */
  readonly mount: string;
  /** The Transit key name prefix. */
  readonly keyPrefix: string;

  constructor(location: VaultTransitLocation) {
    this.#client = location.client;
    this.mount = (location.mount ?? KEY_SOURCE_DEFAULTS.transitMount).replace(/^\/+|\/+$/g, '');
    this.keyPrefix = location.keyPrefix ?? KEY_SOURCE_DEFAULTS.transitKeyPrefix;
    if (this.mount.length === 0 || !/^[\w./-]+$/.test(this.mount)) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'Transit mount must be a path such as transit');
    }
    if (!/^(?:\w[\w.@-]*)?$/.test(this.keyPrefix)) {
      throw new CodecError(
        ERROR_CODES.invalidConfig,
        'Transit key prefix may hold only letters, digits and _ - . @, and must start with a letter or digit',
      );
    }
  }

  /** The Transit key name of `keyId`; throws ERR_INVALID_ARGUMENT when Transit would refuse it. */
  keyName(keyId: string): string {
    const name = `${this.keyPrefix}${keyId}`;
    if (!KEY_NAME.test(name)) {
      throw new CodecError(
        ERROR_CODES.invalidArgument,
        `Key id ${JSON.stringify(keyId)} cannot name a Transit key (letters, digits and _ - . @ only, ` +
          'starting and ending with a letter or digit)',
        { context: { keyId, field: 'keyId' } },
      );
    }
    return name;
  }

  /** Asks Transit for a new data key wrapped by the newest version of `keyId`, bound to `namespace`. */
  async generateDataKey(keyId: string, namespace: string): Promise<TransitDataKey> {
    const path = `/${this.mount}/datakey/plaintext/${this.keyName(keyId)}`;
    const response = await this.#call<{ data?: { ciphertext?: unknown; plaintext?: unknown; key_version?: unknown } }>(
      'POST',
      path,
      { context: context(namespace) },
      { keyId },
    );
    const wrappedKey = response?.data?.ciphertext;
    if (typeof wrappedKey !== 'string') {
      throw new CodecError(ERROR_CODES.invalidKeyMaterial, 'Transit returned no wrapped data key', {
        context: { keyId },
      });
    }
    const version = wrappedKeyVersion(wrappedKey);
    if (response?.data?.key_version !== undefined && response.data.key_version !== version) {
      throw new CodecError(ERROR_CODES.invalidKeyMaterial, 'Transit data key version disagrees with its ciphertext', {
        context: { keyId, version },
      });
    }
    return { version, wrappedKey, key: decodeKey(response?.data?.plaintext, keyId, version) };
  }

  /** Unwraps a data key through `decrypt`, with `namespace` as the derivation context. */
  async unwrap(keyId: string, namespace: string, wrappedKey: string): Promise<Buffer> {
    const version = wrappedKeyVersion(wrappedKey);
    const path = `/${this.mount}/decrypt/${this.keyName(keyId)}`;
    const response = await this.#call<{ data?: { plaintext?: unknown } }>(
      'POST',
      path,
      { ciphertext: wrappedKey, context: context(namespace) },
      { keyId, version },
    );
    return decodeKey(response?.data?.plaintext, keyId, version);
  }

  /**
   * Unwraps several data keys of `keyId` in one `decrypt` request (`batch_input`, each item with its own namespace as
   * derivation context). Returns one outcome per item, in order: the key, or the item's own error (a forged wrapped
   * key fails alone). Rejects only when the request as a whole fails (Vault unreachable, denied, no such key).
   */
  async unwrapMany(
    keyId: string,
    items: ReadonlyArray<{ readonly namespace: string; readonly wrappedKey: string }>,
  ): Promise<Array<Buffer | CodecError>> {
    const versions = items.map((item) => wrappedKeyVersion(item.wrappedKey));
    const path = `/${this.mount}/decrypt/${this.keyName(keyId)}`;
    const body = {
      batch_input: items.map((item) => ({ ciphertext: item.wrappedKey, context: context(item.namespace) })),
      // Vault answers 400 when any item fails; with successes among them this makes it 200, per-item errors inside.
      partial_failure_response_code: 200,
    };
    let response: unknown;
    try {
      response = await this.#client.request<unknown>('POST', path, body);
    } catch (err) {
      // When every item failed the answer is a 400 ("Vault rejected") that still carries each item's error.
      const rejected = err instanceof CodecError && err.code === ERROR_CODES.invalidConfig;
      response = rejected ? vaultErrorBody(err) : undefined;
      if (batchResults(response, items.length) === undefined) throw classifyTransitError(err, { keyId });
    }
    const results = batchResults(response, items.length);
    if (results === undefined) {
      throw new CodecError(
        ERROR_CODES.invalidKeyMaterial,
        'Transit answered a batch decrypt without one result per item',
        {
          context: { keyId },
        },
      );
    }
    return results.map((result, index) => {
      const version = versions[index]!;
      if (typeof result.error === 'string' && result.error !== '') {
        const refusal = new CodecError(ERROR_CODES.invalidConfig, `Vault rejected POST ${path}: ${result.error}`);
        return classifyTransitError(refusal, { keyId, version }) as CodecError;
      }
      try {
        return decodeKey(result.plaintext, keyId, version);
      } catch (err) {
        return err as CodecError;
      }
    });
  }

  /** The key's configuration, or `undefined` when there is no such key. */
  async readKey(keyId: string): Promise<TransitKeyState | undefined> {
    const name = this.keyName(keyId);
    const response = await this.#call<KeyResponse>('GET', `/${this.mount}/keys/${name}`, undefined, { keyId });
    const data = response?.data;
    if (data === undefined) return undefined;
    const createdAt = new Map<number, number>();
    for (const [version, seconds] of Object.entries(data.keys ?? {})) createdAt.set(Number(version), seconds);
    return {
      name,
      type: data.type,
      derived: data.derived,
      exportable: data.exportable,
      latestVersion: data.latest_version,
      minDecryptionVersion: data.min_decryption_version,
      minEncryptionVersion: data.min_encryption_version,
      minAvailableVersion: data.min_available_version ?? 0,
      autoRotatePeriodSeconds: data.auto_rotate_period ?? 0,
      createdAt,
    };
  }

  /**
   * Sends a request about `keyId` (a path under the mount, e.g. `keys/<name>/rotate`) and maps Transit's refusals to
   * codes. Returns what {@link VaultClient.request} does.
   */
  async call<T>(method: 'GET' | 'POST', path: string, body: object | undefined, keyId: string): Promise<T | undefined> {
    return this.#call<T>(method, `/${this.mount}/${path}`, body, { keyId });
  }

  /** Checks Vault, the token and the Transit mount (see `checkVaultMount`). */
  checkHealth(): Promise<void> {
    return checkVaultMount(this.#client, this.mount, 'transit');
  }

  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: object | undefined,
    context: { keyId: string; version?: number },
  ): Promise<T | undefined> {
    try {
      return await this.#client.request<T>(method, path, body);
    } catch (err) {
      throw classifyTransitError(err, context);
    }
  }
}

/** The `batch_results` of a batch answer when it has exactly `count` entries, else `undefined`. */
function batchResults(
  response: unknown,
  count: number,
): Array<{ readonly plaintext?: unknown; readonly error?: unknown }> | undefined {
  const results = (response as { data?: { batch_results?: unknown } } | undefined)?.data?.batch_results;
  if (!Array.isArray(results) || results.length !== count) return undefined;
  return results.map((result: unknown) => (typeof result === 'object' && result !== null ? result : {}));
}

function context(namespace: string): string {
  return Buffer.from(namespace, 'utf8').toString('base64');
}

function decodeKey(plaintext: unknown, keyId: string, version: number): Buffer {
  const key = typeof plaintext === 'string' ? Buffer.from(plaintext, 'base64') : Buffer.alloc(0);
  if (key.length !== ROOT_KEY_BYTES) {
    key.fill(0);
    throw new CodecError(ERROR_CODES.invalidKeyMaterial, `Transit data key must be ${ROOT_KEY_BYTES} bytes`, {
      context: { keyId, version },
    });
  }
  return key;
}
