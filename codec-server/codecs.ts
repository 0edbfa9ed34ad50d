import { MultiNamespaceCodec, type AeadEngine, type KeyProvider } from '../codec/index.js';
import type { ServerConfig } from './config-types.js';
import type { ServerMetrics } from './metrics.js';

/**
 * The server's codecs, one per namespace over the shared key provider, with the configured policy: what to do with
 * unencrypted payloads (counted in the metrics when let through) and how many uncached key versions one request
 * may look up; on the given AES-GCM engine (the default one otherwise).
 */
export function createCodecs(
  config: ServerConfig,
  provider: KeyProvider,
  metrics: ServerMetrics,
  aead?: AeadEngine,
): MultiNamespaceCodec {
  return new MultiNamespaceCodec({
    ...(aead === undefined ? {} : { aead }),
    keyProvider: provider,
    defaultNamespace: config.namespaces.default,
    unencrypted: config.codec.unencrypted,
    maxKeyLookupsPerCall: config.codec.maxKeyLookupsPerRequest,
    onUnencrypted: metrics.unencryptedObserver,
  });
}
