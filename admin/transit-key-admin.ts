import type { KeyVersionInfo, KeyVersionState, VaultTransitKeys } from '../codec/index.js';
import type { KeyAdmin, KeyDescription } from './key-admin.js';

/**
 * {@link KeyAdmin} over Vault Transit. The newest version always encrypts; versions change state from the oldest
 * upward only (see {@link VaultTransitKeys}).
 */
export class TransitKeyAdmin implements KeyAdmin {
  readonly source = 'vault-transit';
  readonly #keys: VaultTransitKeys;
  readonly #onClose: () => Promise<void>;

  constructor(keys: VaultTransitKeys, onClose: () => Promise<void> = () => Promise.resolve()) {
    this.#keys = keys;
    this.#onClose = onClose;
  }

  listKeys(): Promise<string[]> {
    return this.#keys.listKeys();
  }

  async describeKey(keyId: string): Promise<KeyDescription> {
    const { state, versions } = await this.#keys.describeKey(keyId);
    const warnings: string[] = [];
    if (!state.derived) {
      warnings.push('not a derived key: wrapped data keys are not bound to the namespace (recreate it with this tool)');
    }
    if (state.exportable) warnings.push('exportable: the key can leave Vault');
    if (state.type !== 'aes256-gcm96') warnings.push(`key type is ${state.type}, expected aes256-gcm96`);
    return {
      keyId,
      source: this.source,
      location: this.#keys.locate(keyId),
      versions,
      encryptingVersion: state.latestVersion,
      autoRotatePeriodMs: state.autoRotatePeriodSeconds * 1000,
      warnings,
    };
  }

  async createKey(keyId: string): Promise<KeyDescription> {
    await this.#keys.createKey(keyId);
    return this.describeKey(keyId);
  }

  rotateKey(keyId: string): Promise<KeyVersionInfo> {
    return this.#keys.rotateKey(keyId);
  }

  setVersionState(keyId: string, version: number, state: KeyVersionState): Promise<KeyVersionInfo> {
    return this.#keys.setVersionState(keyId, version, state);
  }

  async setAutoRotatePeriod(keyId: string, periodMs: number): Promise<boolean> {
    await this.#keys.setAutoRotatePeriod(keyId, periodMs);
    return true;
  }

  close(): Promise<void> {
    return this.#onClose();
  }
}
