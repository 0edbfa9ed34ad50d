import { Bench } from 'tinybench';

/** One measured case of the report. */
export interface BenchCase {
  readonly name: string;
  readonly size: number;
  readonly batch: number;
  /** Calls per second (a call handles `batch` payloads). */
  readonly opsPerSec: number;
  /** Payloads per second divided by raw AES-GCM's operations per second on the same bytes, same run. */
  readonly ratioToRaw?: number;
  /** Payloads per second divided by the sample-style baseline codec's, same batch, same run. */
  readonly ratioToBaseline?: number;
}

/** A task to measure: returns nothing, may be async. */
export type BenchFn = () => unknown;

/** A full garbage collection, when node runs with `--expose-gc` (as `npm run bench` does). */
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/**
 * Runs every task `rounds` times, interleaved (task A, B, C, then B, C, A, ...) so that machine noise hits all of them
 * alike, and returns each task's median operations per second. Each task starts on a collected heap, so it pays for
 * its own garbage and not for the previous task's; the order rotates each round, so no task always follows the same
 * one.
 */
export async function medianOpsPerSec(
  tasks: Record<string, BenchFn>,
  options: { rounds: number; timeMs: number },
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((name) => [name, []]));
  for (let round = 0; round < options.rounds; round++) {
    // A few iterations suffice for the 100 x 1 MiB cases (100 MiB per call); time bounds the small ones.
    const bench = new Bench({
      time: options.timeMs,
      warmupTime: Math.min(100, options.timeMs / 2),
      iterations: 8,
      warmupIterations: 2,
    });
    const entries = Object.entries(tasks);
    const rotation = round % entries.length;
    for (const [name, fn] of [...entries.slice(rotation), ...entries.slice(0, rotation)]) {
      bench.add(name, fn, { beforeAll: collectGarbage });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`benchmark ${task.name} did not complete: ${result.state}`);
      samples[task.name]!.push(result.throughput.mean);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Human-readable byte size: 256 B, 1 KiB, 64 KiB, 1 MiB. */
export function formatSize(bytes: number): string {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
