import { webcrypto } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// @temporalio/proto is CommonJS: Node's ESM loader cannot see its named exports, so take the default.
import proto from '@temporalio/proto';

/**
 * The baseline: a codec written the way the public TypeScript encryption sample writes it (protobuf encode of the
 * payload, WebCrypto AES-GCM, then concatenating the IV and the ciphertext; one promise per payload). Re-implemented
 * here so the benchmark measures both in the same run.
 */
const utf8 = new TextEncoder();
const IV_LENGTH = 12;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A sample-style codec under one random AES-256 key. */
export class SampleStyleCodec implements PayloadCodec {
  readonly #key: webcrypto.CryptoKey;

  private constructor(key: webcrypto.CryptoKey) {
    this.#key = key;
  }

  /** Generates the key. */
  static async create(): Promise<SampleStyleCodec> {
    const key = await webcrypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    return new SampleStyleCodec(key);
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => ({
        metadata: { encoding: utf8.encode('binary/encrypted'), 'encryption-key-id': utf8.encode('test-key') },
        data: await this.#encrypt(proto.temporal.api.common.v1.Payload.encode(payload).finish()),
      })),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => proto.temporal.api.common.v1.Payload.decode(await this.#decrypt(payload.data!))),
    );
  }

  async #encrypt(data: Uint8Array): Promise<Uint8Array> {
    const iv = webcrypto.getRandomValues(new Uint8Array(IV_LENGTH));
    const encrypted = await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, this.#key, data);
    return concat(iv, new Uint8Array(encrypted));
  }

  async #decrypt(data: Uint8Array): Promise<Uint8Array> {
    const iv = data.subarray(0, IV_LENGTH);
    const decrypted = await webcrypto.subtle.decrypt(
      { name: 'AES-GCM', iv, tagLength: 128 },
      this.#key,
      data.subarray(IV_LENGTH),
    );
    return new Uint8Array(decrypted);
  }
}
