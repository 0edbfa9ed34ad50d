/**
 * The AES-256-GCM seam of wire format v1: the codec derives keys and lays out the sealed bytes, an engine does the
 * cipher. Two engines give the same bytes: node:crypto (`node-crypto.ts`, always there) and the optional native
 * module (`native.ts`, one OpenSSL context per derived key). One is chosen at start (`select.ts`) and passed to the
 * codecs; nothing switches it afterwards.
 *
 * ```
 * deriveKey(root, salt, engine) --> DerivedKey { salt, commitment, cipher: engine.createKey(aesKey) }
 * seal: salt || commitment || nonce || head --cipher.seal(body, aad)--> ... || ciphertext || tag
 * open: salt || commitment || nonce || ciphertext || tag --cipher.open(aad)--> plaintext | undefined
 * ```
 */

/** One derived AES-256-GCM key in an engine; sealing or opening after {@link AeadKey.dispose} throws. */
export interface AeadKey {
  /**
   * Encrypts in place: `out` is a sealed payload's buffer (`V1_LAYOUT.header + headLength + body.length + tag`
   * bytes) whose nonce and head the caller has written; the ciphertext of `head || body` and the tag go after the
   * header. `body` must not overlap `out`.
   */
  seal(out: Buffer, headLength: number, body: Uint8Array, aad: Uint8Array): void;
  /**
   * Decrypts and authenticates a sealed payload (at least `V1_LAYOUT.minimum` bytes): the plaintext, or undefined
   * when authentication fails, in which case no unauthenticated byte is left in memory the engine gave out.
   */
  open(data: Uint8Array, aad: Uint8Array): Buffer | undefined;
  /** Releases what the engine holds for the key (idempotent); the caller zeroes the key bytes it passed in. */
  dispose(): void;
}

/** An AES-256-GCM implementation. */
export interface AeadEngine {
  readonly name: 'native' | 'node:crypto';
  /** Why the native module is not in use, when this is node:crypto. */
  readonly reason?: string;
  /** A key for the 32 bytes of `encryptionKey`, which the caller keeps alive (unchanged) until it disposes the key. */
  createKey(encryptionKey: Buffer): AeadKey;
}
