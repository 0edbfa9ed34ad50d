/**
 * Runs `fn` over `items` with at most `concurrency` calls in flight, in order of `items`. The first failure stops
 * new calls from starting; the calls already running are awaited, then that failure is thrown. Memory stays
 * proportional to `concurrency`, not to the number of items, when `items` is lazy.
 */
export async function forEachBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done && failure === undefined; next = iterator.next()) {
      try {
        await fn(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  if (failure !== undefined) throw failure.error;
}
