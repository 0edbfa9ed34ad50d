import { randomBytes } from 'node:crypto';
import { deriveKey, NonceSequence, zeroDerivedKey, type DerivedKey } from './aes-gcm.js';
import type { KeyMaterial } from './keys/key-provider.js';
import { FORMAT_IDS, V1_LAYOUT, type KeyReference } from './types.js';
import { encryptedMetadataFactory } from './wire-format.js';

/** The derived key a namespace currently seals with, and what goes with it. */
export interface SealingSession {
  readonly ref: KeyReference;
  readonly key: DerivedKey;
  readonly aad: Buffer;
  readonly nonces: NonceSequence;
  /** A fresh metadata object for one sealed payload (the byte arrays are shared and never written). */
  readonly metadata: () => Record<string, Uint8Array>;
  uses: number;
}

function sameRef(a: KeyReference, b: KeyReference): boolean {
  return a.keyId === b.keyId && a.version === b.version && a.wrappedKey === b.wrappedKey;
}

/**
 * One sealing session per namespace: a salt, the key derived from it, and a use count. A session is replaced when
 * the key version changes or when it has sealed `maxUses` payloads (the nonce budget), and its key is zeroed then.
 */
export class SealingSessions {
  readonly #sessions = new Map<string, SealingSession>();
  readonly #maxUses: number;
  readonly #aadFor: (namespace: string, keyId: string, version: number) => Buffer;

  constructor(maxUses: number, aadFor: (namespace: string, keyId: string, version: number) => Buffer) {
    this.#maxUses = maxUses;
    this.#aadFor = aadFor;
  }

  /** The current session when it matches `ref` and has budget for `count` more payloads (which it then reserves). */
  reuse(namespace: string, ref: KeyReference | undefined, count: number): SealingSession | undefined {
    if (ref === undefined) return undefined;
    const session = this.#sessions.get(namespace);
    if (session === undefined || !sameRef(session.ref, ref) || session.uses + count > this.#maxUses) return undefined;
    session.uses += count;
    return session;
  }

  /**
   * The session for `material`, reserving `count` payloads: the current one when it still matches, else a new one
   * with a fresh salt. Zeroes `material.key` in every case.
   */
  install(namespace: string, material: KeyMaterial, count: number): SealingSession {
    const ref: KeyReference = {
      keyId: material.keyId,
      version: material.version,
      ...(material.wrappedKey === undefined ? {} : { wrappedKey: material.wrappedKey }),
    };
    const current = this.reuse(namespace, ref, count);
    if (current !== undefined) {
      material.key.fill(0);
      return current;
    }
    let key: DerivedKey;
    try {
      key = deriveKey(material.key, randomBytes(V1_LAYOUT.salt), ref.keyId, ref.version);
    } finally {
      material.key.fill(0);
    }
    const session: SealingSession = {
      ref,
      key,
      aad: this.#aadFor(namespace, ref.keyId, ref.version),
      nonces: new NonceSequence(),
      metadata: encryptedMetadataFactory(FORMAT_IDS.v1, ref),
      uses: count,
    };
    const replaced = this.#sessions.get(namespace);
    // Batches seal synchronously once they hold a session, so the one replaced is in use by nobody.
    if (replaced !== undefined) zeroDerivedKey(replaced.key);
    this.#sessions.set(namespace, session);
    return session;
  }

  /** Zeroes and drops every session. */
  clear(): void {
    for (const session of this.#sessions.values()) zeroDerivedKey(session.key);
    this.#sessions.clear();
  }
}
