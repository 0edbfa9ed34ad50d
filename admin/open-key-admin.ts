import { connectKeySource, VaultTransitKeys, type ReadTextFile } from '../codec/index.js';
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

/** Vault requests fail fast enough for an interactive tool, unless the configuration says otherwise. */
const INTERACTIVE = { timeoutMs: 5000, retries: 2 } as const;

/**
 * Connects to the key source the options name, through the library's `connectKeySource`. The auth's renewal timers
 * are stopped by `close()`.
 */
export function openKeyAdmin(options: SourceOptions, deps: OpenKeyAdminDeps): KeyAdmin {
  const config = options.kind === 'local' ? options : { ...INTERACTIVE, ...options };
  // An administrator creates keys explicitly; reads must not create them as the worker's default does.
  const connection = connectKeySource(config, {
    warn: deps.warn,
    createMissingKeys: false,
    ...(deps.readFile === undefined ? {} : { readFile: deps.readFile }),
  });
  const close = () => {
    connection.close();
    return Promise.resolve();
  };
  switch (connection.kind) {
    case 'local':
      return new StoreKeyAdmin('local', connection.store, () => connection.store.path);
    case 'vault-kv': {
      const { mount, pathPrefix } = options as Extract<SourceOptions, { kind: 'vault-kv' }>;
      const trimmed = mount.replace(/^\/+|\/+$/g, '');
      return new StoreKeyAdmin('vault-kv', connection.store, (keyId) => `${trimmed}/data/${pathPrefix}${keyId}`, close);
    }
    case 'vault-transit':
      return new TransitKeyAdmin(new VaultTransitKeys(connection.transit), close);
  }
}
