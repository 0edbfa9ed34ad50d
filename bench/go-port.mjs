/**
 * `npm run bench:go [-- --quick]`: the Go port's encode and decode of one payload (256 B, 1 KiB, 64 KiB, 1 MiB)
 * against raw AES-256-GCM on the same bytes in Go, from `go test -bench` in ports/go, as a table with ratios. Each
 * round runs the codec and raw back to back; the table gives medians over five rounds (one with --quick), since a
 * shared machine's noise shows up as outliers.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const tools = JSON.parse(readFileSync(join(root, '.tools', 'tools.json'), 'utf8'));
const go = process.env.GO_BIN ?? tools.go ?? 'go';
const env = { ...process.env, GOTOOLCHAIN: 'local' };

const args = ['test', '-run', '^$', '-bench', '.', `-benchtime=${quick ? '200ms' : '1s'}`, `-count=${quick ? 1 : 5}`];
const output = execFileSync(go, [...args, './codec'], {
  cwd: join(root, 'ports', 'go'),
  encoding: 'utf8',
  env,
  maxBuffer: 64 * 1024 * 1024,
});

/** ns/op samples in run order by benchmark name, e.g. "Encode/256B/codec". */
const samples = new Map();
for (const match of output.matchAll(/^Benchmark(\S+?)-\d+\s+\d+\s+([\d.]+) ns\/op/gm)) {
  samples.set(match[1], [...(samples.get(match[1]) ?? []), Number(match[2])]);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const runs = (name) => {
  const values = samples.get(name);
  if (values === undefined) throw new Error(`no result for Benchmark${name}:\n${output}`);
  return values;
};
/** Medians of the codec's and raw's times, and the median of the per-round ratios. */
const figures = (kind, size) => {
  const codec = runs(`${kind}/${size}/codec`);
  const raw = runs(`${kind}/${size}/raw`);
  return { codec: median(codec), raw: median(raw), ratio: median(codec.map((ns, i) => ns / raw[i])) };
};
const micro = (ns) => (ns / 1000).toFixed(ns < 10_000 ? 2 : 0);

const version = execFileSync(go, ['version'], { encoding: 'utf8', env }).trim();
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${version}`,
);
console.log('Go port, one payload per call, median µs (ratio to raw AES-256-GCM, median of per-round ratios):');
console.log('| size | encode | raw seal | ratio | decode | raw open | ratio |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
const labels = { '256B': '256 B', '1KiB': '1 KiB', '64KiB': '64 KiB', '1MiB': '1 MiB' };
for (const [size, label] of Object.entries(labels)) {
  const encode = figures('Encode', size);
  const decode = figures('Decode', size);
  console.log(
    `| ${label} | ${micro(encode.codec)} | ${micro(encode.raw)} | ${encode.ratio.toFixed(2)} ` +
      `| ${micro(decode.codec)} | ${micro(decode.raw)} | ${decode.ratio.toFixed(2)} |`,
  );
}
