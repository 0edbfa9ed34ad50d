/**
 * `npm run bench:go [-- --quick]`: the Go port's encode and decode of one payload (256 B, 1 KiB, 64 KiB, 1 MiB)
 * against raw AES-256-GCM on the same bytes in Go, from `go test -bench` in ports/go, as a table with ratios. The
 * median of several runs is reported, since a shared machine's noise shows up as outliers.
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

const args = [
  'test',
  '-run',
  '^$',
  '-bench',
  '.',
  `-benchtime=${quick ? '200ms' : '1s'}`,
  `-count=${quick ? 1 : 5}`,
  './codec',
];
const output = execFileSync(go, args, {
  cwd: join(root, 'ports', 'go'),
  encoding: 'utf8',
  env: { ...process.env, GOTOOLCHAIN: 'local' },
  maxBuffer: 64 * 1024 * 1024,
});

/** ns/op samples by benchmark name, e.g. "Encode/256B". */
const samples = new Map();
for (const match of output.matchAll(/^Benchmark(\S+?)-\d+\s+\d+\s+([\d.]+) ns\/op/gm)) {
  samples.set(match[1], [...(samples.get(match[1]) ?? []), Number(match[2])]);
}
const median = (name) => {
  const values = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
  if (values.length === 0) throw new Error(`no result for Benchmark${name}:\n${output}`);
  return values[Math.floor(values.length / 2)];
};
const micro = (ns) => (ns / 1000).toFixed(ns < 10_000 ? 2 : 0);

console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${execFileSync(go, ['version'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } }).trim()}`,
);
console.log('Go port, one payload per call, median µs (ratio to raw AES-256-GCM):');
console.log('| size | encode | raw seal | ratio | decode | raw open | ratio |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
const labels = { '256B': '256 B', '1KiB': '1 KiB', '64KiB': '64 KiB', '1MiB': '1 MiB' };
for (const size of Object.keys(labels)) {
  const [encode, seal, decode, open] = ['Encode', 'RawSeal', 'Decode', 'RawOpen'].map((kind) =>
    median(`${kind}/${size}`),
  );
  console.log(
    `| ${labels[size]} | ${micro(encode)} | ${micro(seal)} | ${(encode / seal).toFixed(2)} | ${micro(decode)} | ${micro(open)} | ${(decode / open).toFixed(2)} |`,
  );
}
