import { randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { formatSize, medianOpsPerSec, type BenchCase, type BenchFn } from './measure.js';
import { createRawAes } from './raw-aes.js';

/** A codec to measure, by name (e.g. `codec[vault-kv]`). */
export interface NamedCodec {
  readonly name: string;
  readonly codec: PayloadCodec;
}

/** What to measure. */
export interface ThroughputPlan {
  readonly sizes: readonly number[];
  readonly batches: readonly number[];
  readonly rounds: number;
  readonly timeMs: number;
  readonly codecs: readonly NamedCodec[];
  readonly baseline: NamedCodec;
  readonly log: (line: string) => void;
}

function payloadOf(size: number): Payload {
  return { metadata: { encoding: new TextEncoder().encode('binary/plain') }, data: randomBytes(size) };
}

/**
 * Encode and decode throughput of each codec and of the baseline for each size and batch, with raw AES-256-GCM on
 * the same bytes as the reference, all interleaved in one run.
 */
export async function measureCodecThroughput(plan: ThroughputPlan): Promise<BenchCase[]> {
  const cases: BenchCase[] = [];
  const raw = createRawAes();
  for (const size of plan.sizes) {
    const payload = payloadOf(size);
    const sealed = raw.seal(payload.data!);
    for (const batch of plan.batches) {
      const input = Array.from({ length: batch }, () => payload);
      // Each measured call repeats the operation enough times to process ~64 KiB, so the harness's own per-call cost
      // (large next to a 256-byte AES operation, and larger for async functions) is spread thin and weighs the same on
      // both sides. Raw AES runs the same batch and, like a codec, hands back the whole batch's results at once, so
      // allocation and memory effects (100 x 1 MiB held at the same time) hit both sides alike.
      const repeat = Math.max(1, Math.floor((64 * 1024) / (size * batch)));
      const tasks: Record<string, BenchFn> = {
        'raw-aes-gcm seal': () => {
          let results: unknown[] = [];
          for (let r = 0; r < repeat; r++) {
            results = new Array<unknown>(batch);
            for (let i = 0; i < batch; i++) results[i] = raw.seal(payload.data!);
          }
          return results; // returned, so the optimizer cannot drop what a batch must hold
        },
        'raw-aes-gcm open': () => {
          let results: unknown[] = [];
          for (let r = 0; r < repeat; r++) {
            results = new Array<unknown>(batch);
            for (let i = 0; i < batch; i++) results[i] = raw.open(sealed);
          }
          return results; // returned, so the optimizer cannot drop what a batch must hold
        },
      };
      for (const { name, codec } of [...plan.codecs, plan.baseline]) {
        const encoded = await codec.encode(input);
        tasks[`${name} encode`] = async () => {
          for (let r = 0; r < repeat; r++) await codec.encode(input);
        };
        tasks[`${name} decode`] = async () => {
          for (let r = 0; r < repeat; r++) await codec.decode(encoded);
        };
      }
      const perCall = await medianOpsPerSec(tasks, { rounds: plan.rounds, timeMs: plan.timeMs });
      const ops = Object.fromEntries(Object.entries(perCall).map(([name, value]) => [name, value * repeat]));
      for (const direction of ['encode', 'decode'] as const) {
        const rawOps = ops[direction === 'encode' ? 'raw-aes-gcm seal' : 'raw-aes-gcm open']!;
        const baselineOps = ops[`${plan.baseline.name} ${direction}`]!;
        for (const { name } of [...plan.codecs, plan.baseline]) {
          const opsPerSec = ops[`${name} ${direction}`]!;
          const entry: BenchCase = {
            name: `${name} ${direction}`,
            size,
            batch,
            opsPerSec,
            ratioToRaw: opsPerSec / rawOps,
            ratioToBaseline: opsPerSec / baselineOps,
          };
          cases.push(entry);
          plan.log(
            `${formatSize(size).padStart(7)}  batch ${String(batch).padStart(3)}  ${entry.name.padEnd(28)} ` +
              `${Math.round(opsPerSec * batch)
                .toLocaleString('en-US')
                .padStart(11)} payloads/s  ` +
              `${entry.ratioToRaw!.toFixed(2)} x raw  ${entry.ratioToBaseline!.toFixed(2)} x baseline`,
          );
        }
        cases.push({
          name: `raw-aes-gcm ${direction === 'encode' ? 'seal' : 'open'}`,
          size,
          batch,
          opsPerSec: rawOps,
          ratioToRaw: 1,
        });
      }
    }
  }
  return cases;
}
