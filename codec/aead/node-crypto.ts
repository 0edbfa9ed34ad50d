import { createCipheriv, createDecipheriv } from 'node:crypto';
import { V1_LAYOUT } from '../types.js';
import type { AeadEngine, AeadKey } from './engine.js';

/** Bodies up to this size are sealed with a single cipher update. */
const SMALL_BODY = 16 * 1024;
const NONCE_OFFSET = V1_LAYOUT.salt + V1_LAYOUT.commitment;

/** Copies `bytes` into `out` at `offset`; returns the offset after them. */
function put(out: Buffer, offset: number, bytes: Uint8Array): number {
  out.set(bytes, offset);
  return offset + bytes.length;
}

/** node:crypto creates a cipher per payload; the key is only a reference to the caller's bytes. */
class NodeCryptoKey implements AeadKey {
  #key: Buffer | undefined;

  constructor(key: Buffer) {
    this.#key = key;
  }

  seal(out: Buffer, headLength: number, body: Uint8Array, aad: Uint8Array): void {
    const cipher = createCipheriv('aes-256-gcm', this.#live(), out.subarray(NONCE_OFFSET, V1_LAYOUT.header));
    cipher.setAAD(aad);
    let offset: number = V1_LAYOUT.header;
    if (body.length <= SMALL_BODY) {
      // One native call beats two for small payloads: join the parts in the output buffer's ciphertext slot first.
      const plaintext = out.subarray(offset, offset + headLength + body.length);
      plaintext.set(body, headLength);
      offset = put(out, offset, cipher.update(plaintext));
    } else {
      if (headLength > 0) offset = put(out, offset, cipher.update(out.subarray(offset, offset + headLength)));
      offset = put(out, offset, cipher.update(body));
    }
    offset = put(out, offset, cipher.final());
    out.set(cipher.getAuthTag(), offset);
  }

  open(data: Uint8Array, aad: Uint8Array): Buffer | undefined {
    const key = this.#live();
    const end = data.length - V1_LAYOUT.tag;
    let plaintext: Buffer | undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(NONCE_OFFSET, V1_LAYOUT.header));
      decipher.setAAD(aad);
      decipher.setAuthTag(data.subarray(end));
      plaintext = decipher.update(data.subarray(V1_LAYOUT.header, end));
      decipher.final();
      return plaintext;
    } catch {
      // Unauthenticated plaintext never leaves this function, not even in memory we no longer own.
      plaintext?.fill(0);
      return undefined;
    }
  }

  dispose(): void {
    this.#key = undefined;
  }

  /** The key bytes; after dispose they may be zeroed, so using them would seal under a zero key. */
  #live(): Buffer {
    if (this.#key === undefined) throw new Error('AES-GCM key used after it was disposed');
    return this.#key;
  }
}

/**
 * The node:crypto engine, always available. `reason` says why the native module is not used (for logs and
 * {@link AeadEngine.reason}).
 */
export function nodeCryptoEngine(reason?: string): AeadEngine {
  return Object.freeze({
    name: 'node:crypto',
    ...(reason === undefined ? {} : { reason }),
    createKey: (encryptionKey: Buffer): AeadKey => new NodeCryptoKey(encryptionKey),
  });
}
