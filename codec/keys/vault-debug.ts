import { createRequire } from 'node:module';

/**
 * Keeps Vault traffic out of `debug` output. With `DEBUG=*` (or `DEBUG=node-vault`, `DEBUG=follow-redirects`), the
 * `debug` library prints, on stderr, every request node-vault sends with its body (key material written by the key
 * administration CLI, AppRole secret ids at login) and every request options object of `follow-redirects` (the HTTP
 * layer under node-vault's axios) with its headers (the Vault token). The variable is read when `debug` is first
 * imported, usually before any code of ours runs, so setting it aside in the environment is not enough:
 *
 * - node-vault is given a debug function that prints nothing (`VaultClient` passes it);
 * - the namespaces `node-vault` and `follow-redirects` are added as exclusions (`-node-vault,-follow-redirects`) to
 *   the `debug` module those libraries load, whenever they are enabled; every other namespace keeps printing.
 *
 * Checked before each Vault request, so an application enabling `debug` namespaces later is covered too.
 */

/** Namespaces whose output carries Vault requests. */
const VAULT_NAMESPACES = ['node-vault', 'follow-redirects'] as const;

/** The part of the `debug` module's API used here (v4). */
interface DebugModule {
  enable(namespaces: string): void;
  disable(): string;
  enabled(namespace: string): boolean;
}

/** A debug function that prints nothing, for node-vault's `debug` option. */
export const silentDebug = (): void => undefined;

let modules: readonly DebugModule[] | undefined;

/** The `debug` modules node-vault and follow-redirects resolve (one, when npm deduplicated them). */
function debugModules(): readonly DebugModule[] {
  modules ??= [...new Set([debugOf(['node-vault']), debugOf(['node-vault', 'axios', 'follow-redirects'])])].filter(
    (found): found is DebugModule => found !== undefined,
  );
  return modules;
}

/** `debug` as the last package of `chain` would load it, each package resolved from the one before. */
function debugOf(chain: readonly string[]): DebugModule | undefined {
  try {
    let load = createRequire(import.meta.url);
    for (const name of chain) load = createRequire(load.resolve(name));
    const found = load('debug') as Partial<DebugModule>;
    return typeof found.enable === 'function' &&
      typeof found.disable === 'function' &&
      typeof found.enabled === 'function'
      ? (found as DebugModule)
      : undefined;
  } catch {
    // Not installed that way (another HTTP layer, another layout): nothing of it can print then.
    return undefined;
  }
}

/** Excludes the Vault namespaces from `debug` output wherever they are enabled. Cheap when they are not. */
export function silenceVaultDebug(): void {
  for (const debug of debugModules()) {
    if (!VAULT_NAMESPACES.some((namespace) => debug.enabled(namespace))) continue;
    const current = debug.disable();
    debug.enable([current, ...VAULT_NAMESPACES.map((namespace) => `-${namespace}`)].filter(Boolean).join(','));
  }
}
