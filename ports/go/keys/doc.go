// Package keys provides the key sources of the codec: Vault KV v2
// ([VaultKV]), Vault Transit envelope encryption ([TransitProvider]) and the
// local keyring file for development ([LocalKeyring]), with the caching rules
// of the TypeScript library:
//
//   - the newest key version is trusted for a short TTL, so a rotation propagates;
//   - exact versions sit in a bounded LRU with a max age, so a destroyed
//     version stops decrypting;
//   - concurrent misses for the same key share one request (single flight);
//   - when the key source fails with a retryable error, cached keys are served
//     for a bounded stale window;
//   - cached key bytes are zeroed when they leave the cache, and keys are
//     handed out as copies the codec zeroes after use.
//
// The layouts in Vault and in the keyring file are those of the TypeScript
// library, so both read and write the same keys. Vault is reached through the
// official Go API client, github.com/hashicorp/vault/api, which works with
// OpenBao too.
//
// Durations in the option structs follow one rule: zero means the default, a
// negative value means none (no caching, no stale window).
package keys
