import type { PayloadCodec } from '@temporalio/common';
import type { CountingProxy } from '../harness/counting-proxy.js';

/** Vault requests counted around 1,000 payloads, cold and warm. */
export interface VaultRequestFigures {
  readonly mode: string;
  /** Requests for the first 1,000 encodes and their decodes, starting from an empty cache. */
  readonly coldPer1000: number;
  /** Requests for the next 1,000 encodes and decodes (one payload per call, the worst case for caching). */
  readonly warmPer1000: number;
}

const utf8 = new TextEncoder();

async function roundTrip(codec: PayloadCodec, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const encoded = await codec.encode([
      { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(String(i)) },
    ]);
    await codec.decode(encoded);
  }
}

/** Counts the Vault requests a codec (talking to Vault through `proxy`) makes per 1,000 payloads. */
export async function countVaultRequests(
  mode: string,
  codec: PayloadCodec,
  proxy: CountingProxy,
): Promise<VaultRequestFigures> {
  proxy.reset();
  await roundTrip(codec, 1000);
  const coldPer1000 = proxy.count();
  proxy.reset();
  await roundTrip(codec, 1000);
  return { mode, coldPer1000, warmPer1000: proxy.count() };
}
