import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { EncryptionCodec, type EncryptionCodecOptions, type PayloadResult } from './encryption-codec.js';
import { CodecError, ERROR_CODES } from './errors.js';
import { assertNamespace } from './keys/key-id.js';

/** Options of {@link MultiNamespaceCodec}: those of each namespace's codec, and how many codecs to keep. */
export interface MultiNamespaceCodecOptions extends Omit<EncryptionCodecOptions, 'namespace'> {
  /** The namespace used when the SDK passes no serialization context. */
  readonly defaultNamespace: string;
  /** Namespaces whose codecs are kept; the least recently used one is closed (its keys zeroed). Default 256. */
  readonly maxNamespaces?: number;
}

/**
 * A `PayloadCodec` for any number of namespaces: it picks a single-namespace {@link EncryptionCodec} by the SDK
 * serialization context's namespace (or the default), creating it on first use. The codec server uses it with the
 * namespace of each request; a client or worker that talks to several namespaces can register it once.
 *
 * ```
 * encode/decode(payloads, context) --context.namespace ?? default--> EncryptionCodec(namespace) --> KeyProvider
 * ```
 *
 * Bounded, because a namespace may come from a request header: an evicted codec is closed (its derived keys zeroed)
 * and costs only re-deriving keys later; the key provider's cache is shared by all of them. A namespace name is
 * validated once, when its codec is created.
 */
export class MultiNamespaceCodec implements PayloadCodec {
  readonly #options: Omit<EncryptionCodecOptions, 'namespace'>;
  readonly #defaultNamespace: string;
  readonly #max: number;
  // A Map iterates in insertion order; re-inserting on use makes its first entry the least recently used.
  readonly #codecs = new Map<string, EncryptionCodec>();

  constructor(options: MultiNamespaceCodecOptions) {
    const { defaultNamespace, maxNamespaces = 256, ...codecOptions } = options;
    assertNamespace(defaultNamespace);
    if (!Number.isInteger(maxNamespaces) || maxNamespaces < 1) {
      throw new CodecError(ERROR_CODES.invalidConfig, 'maxNamespaces must be a positive integer');
    }
    this.#options = codecOptions;
    this.#defaultNamespace = defaultNamespace;
    this.#max = maxNamespaces;
    // Fails now, not at the first payload, when the options are wrong.
    this.forNamespace(defaultNamespace);
  }

  /** Number of namespaces whose codecs are held. */
  get size(): number {
    return this.#codecs.size;
  }

  /**
   * The codec of `namespace`, created on first use.
   *
   * @throws CodecError ERR_INVALID_ARGUMENT for a name that cannot be a namespace.
   */
  forNamespace(namespace: string): EncryptionCodec {
    let codec = this.#codecs.get(namespace);
    if (codec !== undefined) {
      this.#codecs.delete(namespace);
      this.#codecs.set(namespace, codec);
      return codec;
    }
    codec = new EncryptionCodec({ ...this.#options, namespace });
    if (this.#codecs.size >= this.#max) {
      const [oldest, evicted] = this.#codecs.entries().next().value as [string, EncryptionCodec];
      this.#codecs.delete(oldest);
      evicted.close();
    }
    this.#codecs.set(namespace, codec);
    return codec;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return this.#codec(context).encode(payloads);
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return this.#codec(context).decode(payloads);
  }

  /** {@link EncryptionCodec.encodeSettled} of the context's namespace. */
  async encodeSettled(payloads: Payload[], context?: SerializationContext): Promise<PayloadResult[]> {
    return this.#codec(context).encodeSettled(payloads);
  }

  /** {@link EncryptionCodec.decodeSettled} of the context's namespace. */
  async decodeSettled(payloads: Payload[], context?: SerializationContext): Promise<PayloadResult[]> {
    return this.#codec(context).decodeSettled(payloads);
  }

  /** {@link EncryptionCodec.warmUp} of the context's namespace (the default one without a context). */
  async warmUp(context?: SerializationContext): Promise<void> {
    return this.#codec(context).warmUp();
  }

  /** Closes every codec (zeroing derived keys). The shared key provider is closed by its owner. */
  close(): void {
    for (const codec of this.#codecs.values()) codec.close();
    this.#codecs.clear();
  }

  #codec(context: SerializationContext | undefined): EncryptionCodec {
    return this.forNamespace(context?.namespace ?? this.#defaultNamespace);
  }
}
