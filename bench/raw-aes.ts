import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The reference point of every ratio: one AES-256-GCM seal or open with Node's `createCipheriv`, nothing else (no
 * nonce generation, no framing, no metadata). A codec cannot beat this; the question is how close it gets.
 */
export interface RawAes {
  seal(plaintext: Uint8Array): { ciphertext: Buffer; tag: Buffer };
  open(sealed: { ciphertext: Buffer; tag: Buffer }): Buffer;
}

/** A raw AES-256-GCM pair under one random key and one fixed nonce (benchmark only: never reuse a nonce). */
export function createRawAes(): RawAes {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  return {
    seal(plaintext) {
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { ciphertext, tag: cipher.getAuthTag() };
    },
    open({ ciphertext, tag }) {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAuthTag(tag);
      const plaintext = decipher.update(ciphertext);
      decipher.final();
      return plaintext;
    },
  };
}
