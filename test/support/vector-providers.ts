import {
  CodecError,
  EncryptionCodec,
  ERROR_CODES,
  VaultTransitKeyProvider,
  type KeyMaterial,
  type KeyProvider,
  type VaultMethod,
  type VaultRequester,
} from '../../codec/index.js';
import type { UnencryptedMode } from '../../codec/unencrypted-policy.js';

/**
 * Key sources for the published vectors: exactly the keys a vector lists, behind the real codec and (for Transit)
 * the real Transit key provider, so every check the spec names runs as in production.
 */

/** A provider holding the root keys `keys` (version -> hex) of `keyId`; any other version is unknown. */
export function rootKeyProvider(keyId: string, keys: Readonly<Record<string, string>>): KeyProvider {
  const material = (version: number): KeyMaterial => {
    const hex = keys[String(version)];
    if (hex === undefined) {
      throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version', { context: { keyId, version } });
    }
    return { keyId, version, key: Buffer.from(hex, 'hex') };
  };
  const newest = Math.max(...Object.keys(keys).map(Number));
  return {
    keyIdFor: () => keyId,
    encryptionKey: () => Promise.resolve(material(newest)),
    decryptionKey: (_scope, ref) => Promise.resolve(material(ref.version)),
    checkHealth: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/**
 * Transit's `datakey/plaintext` and `decrypt` in memory for one namespace: `decrypt` unwraps exactly the wrapped keys
 * listed (wrapped -> data key hex), on the Transit key `transitKeyName` and only with the namespace's derivation
 * context, and refuses anything else as Transit does (HTTP 400, "message authentication failed").
 */
export class VectorTransit implements VaultRequester {
  readonly calls: string[] = [];

  constructor(
    readonly transitKeyName: string,
    readonly derivationContext: string,
    readonly wrappedKeys: Readonly<Record<string, string>>,
  ) {}

  request<T>(method: VaultMethod, path: string, body?: object): Promise<T | undefined> {
    this.calls.push(`${method} ${path}`);
    const input = (body ?? {}) as { context?: string; ciphertext?: string };
    const refuse = (message: string) =>
      Promise.reject(
        new CodecError(ERROR_CODES.invalidConfig, `Vault rejected ${method} ${path} (HTTP 400): ${message}`),
      );
    if (input.context !== this.derivationContext) return refuse('cipher: message authentication failed');
    if (method === 'POST' && path === `/transit/datakey/plaintext/${this.transitKeyName}`) {
      const [ciphertext, keyHex] = Object.entries(this.wrappedKeys)[0]!;
      const version = Number(/^vault:v(\d+):/.exec(ciphertext)![1]);
      const plaintext = Buffer.from(keyHex, 'hex').toString('base64');
      return Promise.resolve({ data: { ciphertext, plaintext, key_version: version } } as T);
    }
    if (method === 'POST' && path === `/transit/decrypt/${this.transitKeyName}`) {
      const keyHex = this.wrappedKeys[input.ciphertext ?? ''];
      if (keyHex === undefined) return refuse('cipher: message authentication failed');
      return Promise.resolve({ data: { plaintext: Buffer.from(keyHex, 'hex').toString('base64') } } as T);
    }
    return refuse('unsupported path');
  }
}

/** What a vector's decoder is built from. */
export interface VectorDecoder {
  readonly namespace: string;
  readonly keyId: string;
  readonly keys?: Readonly<Record<string, string>>;
  readonly wrappedKeys?: Readonly<Record<string, string>>;
  readonly unencrypted?: UnencryptedMode;
  /** Transit mode: the Transit key and derivation context Vault expects (default: as the spec derives them). */
  readonly transitKeyName?: string;
  readonly derivationContext?: string;
}

/** A vector's codec, the Transit fake behind it (Transit mode), and how to release both. */
export interface VectorCodec {
  readonly codec: EncryptionCodec;
  readonly transit?: VectorTransit;
  readonly close: () => Promise<void>;
}

/** The real codec for a vector: over its root keys, or in Transit mode over its wrapped keys. */
export function vectorCodec(vector: VectorDecoder): VectorCodec {
  const unencrypted = vector.unencrypted ?? 'allow';
  if (vector.wrappedKeys === undefined) {
    const keyProvider = rootKeyProvider(vector.keyId, vector.keys ?? {});
    const codec = new EncryptionCodec({ namespace: vector.namespace, keyProvider, unencrypted });
    return { codec, close: () => keyProvider.close() };
  }
  const transit = new VectorTransit(
    vector.transitKeyName ?? `temporal-codec-${vector.keyId}`,
    vector.derivationContext ?? Buffer.from(vector.namespace, 'utf8').toString('base64'),
    vector.wrappedKeys,
  );
  const keyProvider = new VaultTransitKeyProvider({ client: transit, keyIdFor: () => vector.keyId });
  const codec = new EncryptionCodec({ namespace: vector.namespace, keyProvider, unencrypted });
  return { codec, transit, close: () => keyProvider.close() };
}
