import type { KeyVersionInfo, KeyVersionState } from '../codec/index.js';
import type { KeyAdmin, KeyDescription, KeySourceKind } from './key-admin.js';

/** The administrative methods {@link VaultKvStore} and {@link LocalKeyring} share. */
export interface AdministrableStore {
  createKey(keyId: string): Promise<KeyVersionInfo>;
  rotateKey(keyId: string): Promise<KeyVersionInfo>;
  listVersions(keyId: string): Promise<KeyVersionInfo[]>;
  listKeys(): Promise<string[]>;
  setVersionState(keyId: string, version: number, state: KeyVersionState): Promise<KeyVersionInfo>;
}

/**
 * {@link KeyAdmin} over a store with per-version state (Vault KV v2, the local keyring): any version can be
 * deactivated, reactivated or destroyed, and the newest active version encrypts.
 */
export class StoreKeyAdmin implements KeyAdmin {
  readonly source: KeySourceKind;
  readonly #store: AdministrableStore;
  readonly #locate: (keyId: string) => string;
  readonly #onClose: () => Promise<void>;

  constructor(
    source: KeySourceKind,
    store: AdministrableStore,
    locate: (keyId: string) => string,
    onClose: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.source = source;
    this.#store = store;
    this.#locate = locate;
    this.#onClose = onClose;
  }

  listKeys(): Promise<string[]> {
    return this.#store.listKeys();
  }

  async describeKey(keyId: string): Promise<KeyDescription> {
    const versions = await this.#store.listVersions(keyId);
    // The same choice the stores make in readLatest: the newest version that is neither inactive nor destroyed.
    const encrypting = [...versions].reverse().find((v) => v.state === 'active');
    return {
      keyId,
      source: this.source,
      location: this.#locate(keyId),
      versions,
      encryptingVersion: encrypting?.version,
      warnings: [],
    };
  }

  async createKey(keyId: string): Promise<KeyDescription> {
    await this.#store.createKey(keyId);
    return this.describeKey(keyId);
  }

  async rotateKey(keyId: string): Promise<KeyVersionInfo> {
    // The stores create a missing key on rotation; an operator's typo should not.
    await this.#store.listVersions(keyId);
    return this.#store.rotateKey(keyId);
  }

  setVersionState(keyId: string, version: number, state: KeyVersionState): Promise<KeyVersionInfo> {
    return this.#store.setVersionState(keyId, version, state);
  }

  setAutoRotatePeriod(): Promise<boolean> {
    return Promise.resolve(false);
  }

  close(): Promise<void> {
    return this.#onClose();
  }
}
