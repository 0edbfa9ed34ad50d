import {
  createAuthenticatedVaultClient,
  LocalKeyring,
  VaultKvStore,
  VaultTransitKeys,
  type ReadTextFile,
} from '../codec/index.js';
import type { SourceOptions } from './cli-options.js';
import type { KeyAdmin } from './key-admin.js';
import { StoreKeyAdmin } from './store-key-admin.js';
import { TransitKeyAdmin } from './transit-key-admin.js';

/** What {@link openKeyAdmin} needs besides the options. */
export interface OpenKeyAdminDeps {
  /** Where the local keyring's development-only warning goes. */
  readonly warn: (message: string) => void;
  /** Reads AppRole / Kubernetes credential files. */
  readonly readFile?: ReadTextFile;
}

/**
 * Connects to the key source the options name. Vault requests fail fast enough for an interactive tool (5 s per
 * attempt, 2 retries), and the auth's renewal timers are stopped by `close()`.
 */
export function openKeyAdmin(options: SourceOptions, deps: OpenKeyAdminDeps): KeyAdmin {
  if (options.kind === 'local') {
    // An administrator creates keys explicitly; reads must not create them as the worker's default does.
    const store = new LocalKeyring({ path: options.keyringPath, createMissingKeys: false, warn: deps.warn });
    return new StoreKeyAdmin('local', store, () => store.path);
  }
  const { client, auth } = createAuthenticatedVaultClient(
    {
      endpoint: options.addr,
      retries: 2,
      timeoutMs: 5000,
      ...(options.vaultNamespace === undefined ? {} : { vaultNamespace: options.vaultNamespace }),
    },
    options.auth,
    deps.readFile === undefined ? {} : { readFile: deps.readFile },
  );
  const close = () => {
    auth.close();
    return Promise.resolve();
  };
  if (options.kind === 'vault-kv') {
    const store = new VaultKvStore({ client, mount: options.kvMount, pathPrefix: options.kvPrefix });
    const mount = options.kvMount.replace(/^\/+|\/+$/g, '');
    return new StoreKeyAdmin('vault-kv', store, (keyId) => `${mount}/data/${options.kvPrefix}${keyId}`, close);
  }
  const keys = new VaultTransitKeys({ client, mount: options.transitMount, keyPrefix: options.transitKeyPrefix });
  return new TransitKeyAdmin(keys, close);
}
