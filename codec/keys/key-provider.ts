import { ConcurrencyLimiter } from '../cache/limiter.js';
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
  /**
   * How long an answer that a key (version) does not exist, was destroyed, or does not unwrap is remembered, so that
   * payloads naming versions or wrapped keys that do not exist cannot make the key source answer the same question
   * again and again. Default 10 s; 0 turns it off.
   */
  readonly negativeTtlMs?: number;
  /** Key-source requests this provider runs at once, whatever the number of callers and namespaces. Default 16. */
  readonly maxConcurrentRequests?: number;
}

/** Defaults of {@link ProviderCommonOptions} shared by every provider. */
export const PROVIDER_DEFAULTS = { negativeTtlMs: 10_000, maxConcurrentRequests: 16 } as const;

/** Observes key-source activity, for metrics. Every method is optional. */
export interface KeyProviderObserver {
  cacheHit?(kind: 'latest' | 'version'): void;
  cacheMiss?(kind: 'latest' | 'version'): void;
  staleServed?(kind: 'latest' | 'version'): void;
  sourceRequest?(operation: string, durationMs: number, ok: boolean): void;
}

/**
 * The requests one provider sends to its key source: at most `maxConcurrentRequests` at a time, each reported with
 * its duration and outcome to `observer.sourceRequest` (the wait for a slot is not counted).
 */
export class SourceRequests {
  readonly #observer: KeyProviderObserver;
  readonly #limiter: ConcurrencyLimiter;

  constructor(observer: KeyProviderObserver, maxConcurrentRequests: number = PROVIDER_DEFAULTS.maxConcurrentRequests) {
    this.#observer = observer;
    this.#limiter = new ConcurrencyLimiter(maxConcurrentRequests);
  }

  /** Runs one key-source request. */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.#limiter.run(async () => {
      const started = performance.now();
      try {
        const result = await fn();
        this.#observer.sourceRequest?.(operation, performance.now() - started, true);
        return result;
      } catch (err) {
        this.#observer.sourceRequest?.(operation, performance.now() - started, false);
        throw err;
      }
    });
  }
}
