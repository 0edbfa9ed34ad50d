import type { KeyReference } from '../types.js';

/**
 * One key version's root material, handed to the codec. The codec owns the `key` buffer it receives (a copy) and
 * zeroes it once it has derived what it needs.
 */
export interface KeyMaterial {
  readonly keyId: string;
  readonly version: number;
  /** 32 bytes of AES-256 root key material. */
  readonly key: Buffer;
  /** Transit envelope mode: the wrapped form of `key`, carried in payload metadata. */
  readonly wrappedKey?: string;
}

/**
 * Whose keys a call is about: a namespace and the key id that holds its keys, computed once by the codec (with
 * {@link KeyProvider.keyIdFor}) when it is built. Providers trust it: the namespace was validated at the edge.
 */
export interface KeyScope {
  readonly namespace: string;
  readonly keyId: string;
}

/**
 * Where keys come from. The codec asks for the key to encrypt with and for the exact key a payload names; it never
 * does I/O itself, and swapping the provider never touches the cryptography.
 *
 * ```
 * EncryptionCodec --encryptionKey(scope)------> KeyProvider --> KeyCache --> Vault / keyring file
 *                 --decryptionKey(scope, ref)-^
 * ```
 *
 * Implementations must be safe under concurrency and must throw only `CodecError`s.
 */
export interface KeyProvider {
  /**
   * The key id that holds `namespace`'s keys; the codec calls it once and builds its {@link KeyScope} from it
   * (payloads naming another key id fail with ERR_NAMESPACE_MISMATCH in the codec, before any key is asked for).
   */
  keyIdFor(namespace: string): string;
  /**
   * The newest active key version of the scope, to seal `payloadCount` payloads (envelope providers count data-key
   * uses with it). May be called once per batch.
   */
  encryptionKey(scope: KeyScope, payloadCount: number): Promise<KeyMaterial>;
  /**
   * Optional fast path: the reference (key id, version, wrapped key) that {@link encryptionKey} would return now, when
   * the provider knows it without I/O, else `undefined`. A returned reference commits `payloadCount` uses, exactly as
   * `encryptionKey` would; `undefined` commits nothing. The codec uses it to keep sealing with the key it already
   * derived, so a warm batch costs no key copy and no promise.
   */
  currentEncryptionRef?(scope: KeyScope, payloadCount: number): KeyReference | undefined;
  /** The exact key version a payload names. Precondition: `ref.keyId` is `scope.keyId` (the codec checked it). */
  decryptionKey(scope: KeyScope, ref: KeyReference): Promise<KeyMaterial>;
  /** Checks that the key source answers (for readiness probes); throws ERR_KEY_SOURCE_UNAVAILABLE otherwise. */
  checkHealth(): Promise<void>;
  /** Releases timers and zeroes cached keys. */
  close(): Promise<void>;
}

/** Options every caching key provider takes. */
export interface ProviderCommonOptions {
  /** When the key source fails, cached keys past their age are still served this much longer. Default 15 min. */
  readonly staleIfErrorMs?: number;
  /** Maps a namespace to its key id. Default: the namespace itself. */
  readonly keyIdFor?: (namespace: string) => string;
  readonly observer?: KeyProviderObserver;
  /** Milliseconds clock, injectable for tests. */
  readonly now?: () => number;
}

/** Observes key-source activity, for metrics. Every method is optional. */
export interface KeyProviderObserver {
  cacheHit?(kind: 'latest' | 'version'): void;
  cacheMiss?(kind: 'latest' | 'version'): void;
  staleServed?(kind: 'latest' | 'version'): void;
  sourceRequest?(operation: string, durationMs: number, ok: boolean): void;
}

/** Runs one key-source request and reports its duration and outcome to `observer.sourceRequest`. */
export async function timedSourceRequest<T>(
  observer: KeyProviderObserver,
  operation: string,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await fn();
    observer.sourceRequest?.(operation, performance.now() - started, true);
    return result;
  } catch (err) {
    observer.sourceRequest?.(operation, performance.now() - started, false);
    throw err;
  }
}
