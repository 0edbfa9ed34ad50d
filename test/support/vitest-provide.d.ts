/**
 * Types for values the global setup hands to tests via `project.provide()` / `inject()`.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared Vault/OpenBao server: `VAULT_ADDR`/`VAULT_TOKEN` when set, else a dev server started for the run. */
    vault: { addr: string; token: string };
  }
}

// Makes this file a module, so the block above augments vitest's types instead of replacing them.
export {};
