import { CodecError, ERROR_CODES } from '../errors.js';
import type { KeyVersionInfo, KeyVersionState } from './versioned-key-store.js';
import { VaultTransitClient, type TransitKeyState, type VaultTransitLocation } from './vault-transit-client.js';

/** A Transit key's versions and settings, as the key-admin CLI shows them. */
export interface TransitKeyDescription {
  readonly state: TransitKeyState;
  /** Every version from 1 to the newest, oldest first. */
  readonly versions: KeyVersionInfo[];
}

/** Transit refuses automatic rotation periods shorter than this. */
export const MIN_AUTO_ROTATE_PERIOD_MS = 3_600_000;

/**
 * The lifecycle of Transit keys: create, rotate, describe, deactivate, reactivate and destroy versions. Transit has
 * no per-version state, only three thresholds, so a version's state follows from its number:
 *
 * ```
 * 1 ........ min_decryption_version-1 | ........ min_encryption_version-1 | ........ latest_version
 *         destroyed (trimmed)         |      inactive (decrypt only)       |   active (latest encrypts)
 * ```
 *
 * Hence two rules a per-version store does not have, each refused with ERR_INVALID_ARGUMENT naming the version to act
 * on first: versions are deactivated and destroyed from the oldest upward (and reactivated from the newest inactive
 * downward), and the newest version can be neither deactivated nor destroyed, because Transit always encrypts with
 * it (rotate first). Destruction also trims: the key material is deleted from Vault's storage, so no later change of
 * `min_decryption_version` brings it back.
 */
export class VaultTransitKeys {
  readonly kind = 'vault-transit';
  readonly #transit: VaultTransitClient;

  constructor(location: VaultTransitLocation) {
    this.#transit = new VaultTransitClient(location);
  }

  /** Where `keyId` lives, for messages: `<mount>/keys/<prefix><keyId>`. */
  locate(keyId: string): string {
    return `${this.#transit.mount}/keys/${this.#transit.keyName(keyId)}`;
  }

  /**
   * Creates a derived, non-exportable `aes256-gcm96` key (fails with ERR_INVALID_ARGUMENT if it exists).
   * `autoRotatePeriodMs` (at least one hour) makes Vault rotate it on its own.
   */
  async createKey(keyId: string, options: { autoRotatePeriodMs?: number } = {}): Promise<KeyVersionInfo> {
    const name = this.#transit.keyName(keyId);
    if ((await this.#transit.readKey(keyId)) !== undefined) {
      throw new CodecError(ERROR_CODES.invalidArgument, 'Key already exists', { context: { keyId } });
    }
    const body: Record<string, unknown> = { type: 'aes256-gcm96', derived: true };
    if (options.autoRotatePeriodMs !== undefined)
      body.auto_rotate_period = rotatePeriodSeconds(options.autoRotatePeriodMs);
    // `exportable` and `allow_plaintext_backup` are left at their default (false); sending them would trip the
    // key-admin policy's denied_parameters, which exist so that nobody can ever turn them on.
    await this.#transit.call('POST', `keys/${name}`, body, keyId);
    return this.#version(keyId, 1);
  }

  /** Adds a new newest version, which encrypts from now on. */
  async rotateKey(keyId: string): Promise<KeyVersionInfo> {
    await this.#transit.call('POST', `keys/${this.#transit.keyName(keyId)}/rotate`, {}, keyId);
    const described = await this.describeKey(keyId);
    return described.versions[described.versions.length - 1]!;
  }

  /** Every version of `keyId`, oldest first, with its state. */
  async listVersions(keyId: string): Promise<KeyVersionInfo[]> {
    return (await this.describeKey(keyId)).versions;
  }

  /** The key's settings and versions; ERR_UNKNOWN_KEY when it does not exist. */
  async describeKey(keyId: string): Promise<TransitKeyDescription> {
    const state = await this.#transit.readKey(keyId);
    if (state === undefined) throw new CodecError(ERROR_CODES.unknownKey, 'Unknown key', { context: { keyId } });
    const versions: KeyVersionInfo[] = [];
    for (let version = 1; version <= state.latestVersion; version++) {
      const seconds = state.createdAt.get(version);
      // Versions outside the working set are not listed with a creation time.
      const createdAt = seconds === undefined ? '' : new Date(seconds * 1000).toISOString();
      versions.push({ version, createdAt, state: versionState(state, version) });
    }
    return { state, versions };
  }

  /** Key ids under the prefix (Transit keys with other names are not listed). */
  async listKeys(): Promise<string[]> {
    const response = await this.#transit.call<{ data?: { keys?: string[] } }>('GET', 'keys?list=true', undefined, '');
    const prefix = this.#transit.keyPrefix;
    return (response?.data?.keys ?? [])
      .filter((name) => name.startsWith(prefix))
      .map((name) => name.slice(prefix.length));
  }

  /** Sets Vault's automatic rotation period; 0 turns it off. */
  async setAutoRotatePeriod(keyId: string, periodMs: number): Promise<void> {
    const name = this.#transit.keyName(keyId);
    await this.#transit.call(
      'POST',
      `keys/${name}/config`,
      { auto_rotate_period: rotatePeriodSeconds(periodMs) },
      keyId,
    );
  }

  /**
   * Deactivates (decrypt only), reactivates or destroys (trims: irreversible) one version, within the ordering rules
   * in the class comment. Setting the state a version already has does nothing.
   */
  async setVersionState(keyId: string, version: number, target: KeyVersionState): Promise<KeyVersionInfo> {
    const { state, versions } = await this.describeKey(keyId);
    const current = versions.find((v) => v.version === version);
    if (current === undefined) {
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
    }
    if (current.state === target) return current;
    if (current.state === 'destroyed') {
      throw new CodecError(ERROR_CODES.keyVersionDestroyed, 'A destroyed version cannot be restored', {
        context: { keyId, version },
      });
    }
    const refuse = (message: string) =>
      new CodecError(ERROR_CODES.invalidArgument, message, { context: { keyId, version, field: 'version' } });
    if (target !== 'active' && version === state.latestVersion) {
      throw refuse(
        `Transit always encrypts with the newest version (${version}); rotate first, then ${verb(target)} it`,
      );
    }
    const oldestUsable = Math.max(state.minDecryptionVersion, state.minAvailableVersion, 1);
    const oldestActive = Math.max(state.minEncryptionVersion, oldestUsable);
    const name = this.#transit.keyName(keyId);
    if (target === 'inactive') {
      if (version !== oldestActive) {
        throw refuse(`Transit deactivates versions from the oldest upward: deactivate version ${oldestActive} first`);
      }
      await this.#transit.call('POST', `keys/${name}/config`, { min_encryption_version: version + 1 }, keyId);
    } else if (target === 'active') {
      if (version !== oldestActive - 1) {
        throw refuse(
          `Transit reactivates versions from the newest inactive one down: activate ${oldestActive - 1} first`,
        );
      }
      await this.#transit.call('POST', `keys/${name}/config`, { min_encryption_version: version }, keyId);
    } else {
      if (version !== oldestUsable) {
        throw refuse(`Transit destroys versions from the oldest upward: destroy version ${oldestUsable} first`);
      }
      const next = version + 1;
      await this.#transit.call(
        'POST',
        `keys/${name}/config`,
        { min_decryption_version: next, min_encryption_version: Math.max(state.minEncryptionVersion, next) },
        keyId,
      );
      // Raising min_decryption_version alone can be undone; trimming deletes the material for good.
      await this.#transit.call('POST', `keys/${name}/trim`, { min_available_version: next }, keyId);
    }
    return { version, createdAt: current.createdAt, state: target };
  }

  async #version(keyId: string, version: number): Promise<KeyVersionInfo> {
    const found = (await this.listVersions(keyId)).find((v) => v.version === version);
    if (found === undefined)
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
    return found;
  }
}

function versionState(state: TransitKeyState, version: number): KeyVersionState {
  if (version < state.minDecryptionVersion || version < state.minAvailableVersion) return 'destroyed';
  if (version < state.minEncryptionVersion) return 'inactive';
  return 'active';
}

function verb(target: KeyVersionState): string {
  return target === 'destroyed' ? 'destroy' : 'deactivate';
}

function rotatePeriodSeconds(periodMs: number): number {
  if (!Number.isFinite(periodMs) || (periodMs !== 0 && periodMs < MIN_AUTO_ROTATE_PERIOD_MS)) {
    throw new CodecError(
      ERROR_CODES.invalidArgument,
      'Transit automatic rotation period must be 0 (off) or at least one hour',
      { context: { field: 'autoRotatePeriod' } },
    );
  }
  return Math.round(periodMs / 1000);
}
