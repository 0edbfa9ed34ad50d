/** Result of fuzzing the codec server's HTTP surface. */
export interface HttpFuzzResult {
  readonly cases: number;
  readonly violations: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
}

/** Placeholder until the codec server lands: runs nothing and says so. */
export function runHttpFuzz(_options: { cases: number; seed: number }): Promise<HttpFuzzResult> {
  const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
  return Promise.resolve({ cases: 0, violations: 0, rssBeforeMiB: rss, rssAfterMiB: rss });
}
