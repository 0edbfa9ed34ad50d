import { zeroDerivedKey, type DerivedKey } from './aes-gcm.js';
import { LruCache } from './cache/lru-cache.js';
import { V1_LAYOUT, type KeyReference } from './types.js';

/** Options of {@link DecryptKeyCache}. */
export interface DecryptKeyCacheOptions {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  readonly now?: () => number;
}

function cacheKey(ref: KeyReference, salt: Uint8Array): string {
  return `${ref.keyId}\u0000${ref.version}\u0000${ref.wrappedKey ?? ''}\u0000${Buffer.from(salt.buffer, salt.byteOffset, salt.length).toString('latin1')}`;
}

/** Whether `bytes` begins with `prefix` (a plain loop: cheaper than building a view for a 32-byte comparison). */
function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * Derived decryption keys by (key id, version, wrapped key, salt). Payloads sealed in one session share a salt, so
 * the last key used is checked first with a plain byte comparison; the LRU behind it is bounded, entries expire
 * after `maxAgeMs` (so a destroyed version stops decrypting) and are zeroed when they leave.
 */
export class DecryptKeyCache {
  readonly #lru: LruCache<string, DerivedKey>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #last: { ref: KeyReference; key: DerivedKey; storedAt: number } | undefined;

  constructor(options: DecryptKeyCacheOptions) {
    this.#now = options.now ?? Date.now;
    this.#maxAgeMs = options.maxAgeMs;
    this.#lru = new LruCache({ maxEntries: options.maxEntries, now: this.#now, onEvict: zeroDerivedKey });
  }

  /**
   * The derived key for `ref` and the salt that starts `sealed` (a sealed payload, at least as long as a salt), if
   * cached and not older than the max age.
   */
  get(ref: KeyReference, sealed: Uint8Array): DerivedKey | undefined {
    const last = this.#last;
    if (last !== undefined && last.ref === ref && startsWith(sealed, last.key.salt)) {
      if (this.#now() - last.storedAt < this.#maxAgeMs) return last.key;
      this.#last = undefined;
    }
    const key = cacheKey(ref, sealed.subarray(0, V1_LAYOUT.salt));
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.storedAt >= this.#maxAgeMs) {
      this.#lru.delete(key);
      return undefined;
    }
    this.#last = { ref, key: entry.value, storedAt: entry.storedAt };
    return entry.value;
  }

  /** Stores a key the cache now owns (it will be zeroed on eviction). */
  set(ref: KeyReference, key: DerivedKey): void {
    this.#lru.set(cacheKey(ref, key.salt), key);
    // The memo must never outlive the LRU entry it points to (eviction zeroes the key).
    this.#last = undefined;
  }

  /** Zeroes and drops every key. */
  clear(): void {
    this.#last = undefined;
    this.#lru.clear();
  }
}
