import { EncryptionCodec, type KeyProvider } from '../codec/index.js';

/** Options of {@link CodecRegistry}. */
export interface CodecRegistryOptions {
  /** Shared by every codec: one key cache for the whole server. */
  readonly keyProvider: KeyProvider;
  /** Codecs kept at most; the least recently used one is closed (its derived keys zeroed). Default 256. */
  readonly maxNamespaces?: number;
}

/**
 * One {@link EncryptionCodec} per namespace, created on first use. A codec is bound to one namespace (the SDK's
 * `PayloadCodec` carries none), so the server keeps one for each it serves.
 *
 * Bounded because the namespace comes from a request header: without a bound, a client could grow the map without
 * limit by inventing names. An evicted codec costs only re-deriving keys; the provider's key cache is shared.
 */
export class CodecRegistry {
  readonly #provider: KeyProvider;
  readonly #max: number;
  // A Map iterates in insertion order; re-inserting on use makes its first entry the least recently used.
  readonly #codecs = new Map<string, EncryptionCodec>();

  constructor(options: CodecRegistryOptions) {
    const max = options.maxNamespaces ?? 256;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxNamespaces must be a positive integer');
    this.#provider = options.keyProvider;
    this.#max = max;
  }

  /** The codec of `namespace`. Precondition: `namespace` has been validated (allow-list, name rules). */
  get(namespace: string): EncryptionCodec {
    let codec = this.#codecs.get(namespace);
    if (codec !== undefined) {
      this.#codecs.delete(namespace);
      this.#codecs.set(namespace, codec);
      return codec;
    }
    codec = new EncryptionCodec({ namespace, keyProvider: this.#provider });
    if (this.#codecs.size >= this.#max) {
      const [oldest, evicted] = this.#codecs.entries().next().value as [string, EncryptionCodec];
      this.#codecs.delete(oldest);
      evicted.close();
    }
    this.#codecs.set(namespace, codec);
    return codec;
  }

  /** Number of codecs held. */
  get size(): number {
    return this.#codecs.size;
  }

  /** Closes every codec (zeroing derived keys). The shared provider is closed by its owner. */
  close(): void {
    for (const codec of this.#codecs.values()) codec.close();
    this.#codecs.clear();
  }
}
