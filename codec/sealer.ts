import { randomBytes } from 'node:crypto';
import type { AeadEngine } from './aead/engine.js';
import { deriveKey, NonceSequence, zeroDerivedKey, type DerivedKey } from './aes-gcm.js';
import type { KeyMaterial } from './keys/key-provider.js';
import { FORMAT_IDS, V1_LAYOUT, type KeyReference } from './types.js';
import { encryptedMetadataFactory } from './wire-format.js';

/** A derived key a codec seals with, and what goes with it. */
export interface SealingSession {
  readonly ref: KeyReference;
  readonly key: DerivedKey;
  readonly aad: Buffer;
  readonly nonces: NonceSequence;
  /** A fresh metadata object for one sealed payload (the byte arrays are shared and never written). */
  readonly metadata: () => Record<string, Uint8Array>;
  uses: number;
}

/** `count` payloads of a batch to seal under `session`; `created` when the session is new (its key is uncached). */
export interface Allotment {
  readonly session: SealingSession;
  readonly count: number;
  readonly created: boolean;
}

function sameRef(a: KeyReference, b: KeyReference): boolean {
  return a.keyId === b.keyId && a.version === b.version && a.wrappedKey === b.wrappedKey;
}

/**
 * The sealing sessions of one codec (one namespace): a salt, the key derived from it, and a use count. The current
 * session is replaced when the key version changes or when it has sealed `maxUses` payloads (the per-derived-key
 * budget), and its key is zeroed then. A batch larger than the budget is split over several sessions, each with a
 * salt of its own, so the budget holds inside one batch too.
 */
export class Sealer {
  readonly #maxUses: number;
  readonly #aadFor: (version: number) => Buffer;
  readonly #engine: AeadEngine;
  #current: SealingSession | undefined;

  constructor(maxUses: number, aadFor: (version: number) => Buffer, engine: AeadEngine) {
    this.#maxUses = maxUses;
    this.#aadFor = aadFor;
    this.#engine = engine;
  }

  /** The current session when it matches `ref` and has budget for `count` more payloads (which it then reserves). */
  reuse(ref: KeyReference | undefined, count: number): SealingSession | undefined {
    const session = this.#current;
    if (ref === undefined || session === undefined || !sameRef(session.ref, ref)) return undefined;
    if (session.uses + count > this.#maxUses) return undefined;
    session.uses += count;
    return session;
  }

  /**
   * Sessions for `count` payloads sealed under `material`: the current one when it still matches and has room,
   * else as many new ones (fresh salts) as the budget needs; the last becomes current and the one it replaces is
   * zeroed. Zeroes `material.key` in every case. Batches seal synchronously once they hold their sessions (no await
   * in between), so a replaced session is in use by nobody; call {@link release} when the batch is sealed.
   */
  install(material: KeyMaterial, count: number): Allotment[] {
    const ref: KeyReference = {
      keyId: material.keyId,
      version: material.version,
      ...(material.wrappedKey === undefined ? {} : { wrappedKey: material.wrappedKey }),
    };
    try {
      const current = this.reuse(ref, count);
      if (current !== undefined) return [{ session: current, count, created: false }];
      const allotments: Allotment[] = [];
      let remaining = Math.max(count, 0);
      do {
        const take = Math.min(remaining, this.#maxUses);
        allotments.push({ session: this.#derive(material, ref, take), count: take, created: true });
        remaining -= take;
      } while (remaining > 0);
      if (this.#current !== undefined) zeroDerivedKey(this.#current.key);
      this.#current = allotments[allotments.length - 1]!.session;
      return allotments;
    } finally {
      material.key.fill(0);
    }
  }

  /** Zeroes the sessions of a sealed batch that are not current (the used-up parts of a split batch). */
  release(allotments: readonly Allotment[]): void {
    for (const { session } of allotments) if (session !== this.#current) zeroDerivedKey(session.key);
  }

  /** Zeroes and drops the current session. */
  clear(): void {
    if (this.#current !== undefined) zeroDerivedKey(this.#current.key);
    this.#current = undefined;
  }

  #derive(material: KeyMaterial, ref: KeyReference, uses: number): SealingSession {
    return {
      ref,
      key: deriveKey(material.key, randomBytes(V1_LAYOUT.salt), ref.keyId, ref.version, this.#engine),
      aad: this.#aadFor(ref.version),
      nonces: new NonceSequence(),
      metadata: encryptedMetadataFactory(FORMAT_IDS.v1, ref),
      uses,
    };
  }
}

/** Walks the sessions of a batch, `count` payloads each. */
export class AllotmentCursor {
  readonly #allotments: readonly Allotment[];
  #index = 0;
  #left: number;

  constructor(allotments: readonly Allotment[]) {
    this.#allotments = allotments;
    this.#left = allotments[0]?.count ?? 0;
  }

  /** The session of the next payload. Precondition: fewer calls than the allotments' total count. */
  next(): SealingSession {
    while (this.#left === 0) this.#left = this.#allotments[++this.#index]!.count;
    this.#left--;
    return this.#allotments[this.#index]!.session;
  }
}
