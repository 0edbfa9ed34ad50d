import { MultiNamespaceCodec, type AeadEngine, type KeyProvider, type SamplesProfileOptions } from '../codec/index.js';
import type { ServerConfig } from './config-types.js';
import type { ServerMetrics } from './metrics.js';

/**
 * The server's codecs, one per namespace over the shared key provider, with the configured policy: what to do with
 * unencrypted payloads (counted in the metrics when let through) and how many uncached key versions one request
 * may look up; on the given AES-GCM engine (the default one otherwise); with the samples profile when given
 * (decode-only, see `samples-profile.ts`).
 */
export function createCodecs(
  config: ServerConfig,
  provider: KeyProvider,
  metrics: ServerMetrics,
  aead?: AeadEngine,
  samplesProfile?: SamplesProfileOptions,
): MultiNamespaceCodec {
  return new MultiNamespaceCodec({
    ...(aead === undefined ? {} : { aead }),
    ...(samplesProfile === undefined ? {} : { samplesProfile }),
    keyProvider: provider,
    defaultNamespace: config.namespaces.default,
    unencrypted: config.codec.unencrypted,
    maxKeyLookupsPerCall: config.codec.maxKeyLookupsPerRequest,
    onUnencrypted: metrics.unencryptedObserver,
  });
}
