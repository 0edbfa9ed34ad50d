import type { Payload } from '@temporalio/common';
import { EncryptionCodec, VaultClient, VaultTransitKeyProvider, type AeadEngine } from '../codec/index.js';
import type { CountingProxy } from '../harness/counting-proxy.js';

/** A cold decode of a history under many Transit data keys, through a proxy that adds latency to every request. */
export interface ColdTransitFigures {
  readonly payloads: number;
  readonly dataKeys: number;
  readonly latencyMs: number;
  /** Vault requests the decode sent (each one round trip). */
  readonly vaultRequests: number;
  readonly durationMs: number;
}

/**
 * Seals `payloads` payloads under `dataKeys` data keys (one Transit key provider per simulated worker process, straight
 * to Vault), then decodes them all in one call with a fresh provider whose requests go through `proxy` with
 * `latencyMs` added: the Vault requests and the time that cold decode costs.
 */
export async function measureColdTransit(options: {
  readonly vaultAddr: string;
  readonly token: string;
  readonly proxy: CountingProxy;
  readonly namespace: string;
  readonly payloads: number;
  readonly dataKeys: number;
  readonly latencyMs: number;
  readonly aead: AeadEngine;
}): Promise<ColdTransitFigures> {
  const direct = new VaultClient({ endpoint: options.vaultAddr, token: options.token });
  const sealed: Payload[] = [];
  const perKey = Math.ceil(options.payloads / options.dataKeys);
  for (let writer = 0; writer < options.dataKeys; writer++) {
    const provider = new VaultTransitKeyProvider({ client: direct });
    const codec = new EncryptionCodec({ namespace: options.namespace, keyProvider: provider, aead: options.aead });
    const payloads = Array.from({ length: perKey }, (_, i) => ({
      metadata: { encoding: new TextEncoder().encode('json/plain') },
      data: new TextEncoder().encode(JSON.stringify({ writer, i })),
    }));
    sealed.push(...(await codec.encode(payloads)));
    await provider.close();
  }
  const history = sealed.slice(0, options.payloads);
  const reader = new VaultTransitKeyProvider({
    client: new VaultClient({ endpoint: options.proxy.url, token: options.token }),
  });
  try {
    const codec = new EncryptionCodec({ namespace: options.namespace, keyProvider: reader, aead: options.aead });
    options.proxy.setDelay(options.latencyMs);
    options.proxy.reset();
    const started = performance.now();
    await codec.decode(history);
    const durationMs = performance.now() - started;
    return {
      payloads: history.length,
      dataKeys: options.dataKeys,
      latencyMs: options.latencyMs,
      vaultRequests: options.proxy.count(),
      durationMs,
    };
  } finally {
    options.proxy.setDelay(0);
    await reader.close();
  }
}
