import type { BenchReport } from './report.js';
import type { LoadCase } from './server-load.js';

// The README's benchmark figures, rendered from one run's JSON report: each section sits between
// `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` and is replaced as a whole, so the figures and the sentences that
// quote them always come from the same run.

const SERVER = 'codec-server';
const AUDIT_OFF = 'codec-server, audit off';
const BARE = 'bare node:http';
const BARE_FEATURES = 'bare + token, CORS, metrics, audit';
const SAMPLE = 'sample-style express';
const WORKERS = 'codec-server --workers 2 (vault-kv)';

const signed = (n: number) =>
  Math.round(n) > 0 ? `+${Math.round(n)}` : Math.round(n) < 0 ? `−${-Math.round(n)}` : '0';
/** Milliseconds with two decimals below 10, one above. */
const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(2));
const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;

/** Every section, by marker name. */
export function renderSections(report: BenchReport): Record<string, string> {
  return {
    run: runSection(report),
    codec: codecSection(report),
    vault: vaultSection(report),
    server: serverSection(report),
    worker: workerSection(report),
  };
}

/** Replaces each marked section of `text`; fails when a marker is missing, so a renamed heading cannot go stale. */
export function replaceSections(text: string, sections: Record<string, string>): string {
  let out = text;
  for (const [name, body] of Object.entries(sections)) {
    const open = `<!-- bench:${name} -->`;
    const close = `<!-- /bench:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start === -1 || end < start) throw new Error(`README has no ${open} ... ${close} section`);
    out = `${out.slice(0, start + open.length)}\n${body.trimEnd()}\n${out.slice(end)}`;
  }
  return out;
}

function runSection(report: BenchReport): string {
  return (
    `Figures of one run (${report.date.slice(0, 10)}, \`npm run bench -- --json\`, rendered by \`npm run bench:readme\`): ` +
    `${report.machine}, AES-GCM ${report.aead}; load average ${report.load.start} at the start, ${report.load.end} at ` +
    `the end (1, 5 and 15 minutes).`
  );
}

function codecSection(report: BenchReport): string {
  const find = (name: string, sizeBytes: number, batch: number) =>
    report.cases.find((c) => c.name === name && c.size === sizeBytes && c.batch === batch);
  const cell = (name: string, sizeBytes: number, batch: number) => {
    const c = find(name, sizeBytes, batch);
    return c === undefined ? '-' : `${ratio(c.ratioToRaw)} / ${c.ratioToBaseline?.toFixed(1) ?? '-'}`;
  };
  const keys = [...new Set(report.cases.map((c) => `${c.size}:${c.batch}`))];
  const rows = keys.map((key) => {
    const [bytes, batch] = key.split(':').map(Number) as [number, number];
    const cells = [
      'codec[vault-kv] encode',
      'codec[vault-kv] decode',
      'codec[vault-transit] encode',
      'codec[vault-transit] decode',
    ];
    return `| ${size(bytes)} | ${batch} | ${cells.map((name) => cell(name, bytes, batch)).join(' | ')} |`;
  });
  return [
    '| size | batch | KV encode | KV decode | Transit encode | Transit decode |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function vaultSection(report: BenchReport): string {
  const requests = report.vaultRequests
    .map((v) => `${v.mode === 'vault-kv' ? 'KV' : 'Transit'} cold ${v.coldPer1000}, warm **${v.warmPer1000}**`)
    .join('; ');
  const cold = report.coldTransit;
  return (
    `Vault requests per 1,000 payloads (one payload per call): ${requests}.\n\n` +
    `Cold Transit history: one \`decode\` of ${cold.payloads} payloads sealed under ${cold.dataKeys} data keys ` +
    `(${cold.dataKeys} worker processes), each Vault request delayed ${cold.latencyMs} ms: **${cold.vaultRequests}** ` +
    `Vault request${cold.vaultRequests === 1 ? '' : 's'} (\`transit/decrypt\` with \`batch_input\`), ${Math.round(cold.durationMs)} ms.`
  );
}

function caseName(c: LoadCase): string {
  return `${c.route} ${c.batch} x ${size(c.sizeBytes)}`;
}

function serverSection(report: BenchReport): string {
  const label: Record<string, string> = {
    [SERVER]: '`temporal-codec-server`',
    [AUDIT_OFF]: 'same, audit off',
    [BARE]: 'bare `node:http` + same codec',
    [BARE_FEATURES]: 'bare + token, CORS, metrics, audit line',
    [SAMPLE]: 'sample-style express',
  };
  const cases = [...new Set(report.serverLoad.map(caseName))];
  const lines = [
    '| case | server | req/s | p50 / p99 | CPU | x bare (req/s) | x sample (req/s) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const pick = (name: string, server: string) =>
    report.serverLoad.find((c) => caseName(c) === name && c.server === server);
  for (const name of cases) {
    let first = true;
    for (const server of [SERVER, AUDIT_OFF, BARE, BARE_FEATURES, SAMPLE]) {
      const c = pick(name, server);
      if (c === undefined) continue;
      const sample = server === SERVER ? `**${ratio(c.ratioToSample)}**` : ratio(c.ratioToSample);
      lines.push(
        `| ${first ? name : ''} | ${label[server]} | ${int(c.requestsPerSec)} | ${ms(c.p50Ms)} / ${ms(c.p99Ms)} ms | ` +
          `${int(c.cpuUsPerRequest)} µs | ${ratio(c.ratioToBare)} | ${sample} |`,
      );
      first = false;
    }
  }
  /** One phrase per case where both servers ran, from the two cases' figures. */
  const compare = (a: string, b: string, phrase: (x: LoadCase, y: LoadCase) => string) =>
    cases.flatMap((name) => {
      const x = pick(name, a);
      const y = pick(name, b);
      return x === undefined || y === undefined ? [] : [`${name} ${phrase(x, y)}`];
    });
  const cpu = compare(
    SERVER,
    BARE,
    (ours, bare) =>
      `${(ours.cpuUsPerRequest / bare.cpuUsPerRequest).toFixed(2)} x (${int(ours.cpuUsPerRequest)} against ${int(bare.cpuUsPerRequest)} µs)`,
  );
  const least = compare(
    BARE_FEATURES,
    BARE,
    (featured, bare) =>
      `${(featured.cpuUsPerRequest / bare.cpuUsPerRequest).toFixed(2)} x CPU, ${ratio(featured.ratioToBare)} x requests/s`,
  );
  const audit = compare(SERVER, AUDIT_OFF, (on, off) => {
    const rate = 100 * (on.requestsPerSec / off.requestsPerSec - 1);
    const cpuMore = 100 * (on.cpuUsPerRequest / off.cpuUsPerRequest - 1);
    return `${signed(rate)} % requests/s, ${signed(cpuMore)} % CPU per request`;
  });
  const workers = cases
    .map((name) => pick(name, WORKERS))
    .filter((c) => c !== undefined)
    .map((c) => `${int(c.requestsPerSec)} req/s on ${caseName(c)}`);
  lines.push(
    '',
    `CPU per request against the bare server (the ceiling on one core is its inverse): ${cpu.join('; ')}.`,
    ...(least.length === 0
      ? []
      : [
          '',
          `The bare server with the codec server's features written as directly as possible (the least they can ` +
            `cost), against the bare server: ${least.join('; ')}.`,
        ]),
    '',
    `The audit line, on against off (same run; this machine's noise is about 10 % either way, see the large batches, where the line is a tiny share of the work): ${audit.join('; ')}.` +
      (workers.length === 0 ? '' : ` \`--workers 2\` (Vault KV, both cores, not pinned): ${workers.join(', ')}.`),
  );
  return lines.join('\n');
}

function workerSection(report: BenchReport): string {
  const none = report.workers.find((w) => w.codec === 'none');
  const codec = report.workers.find((w) => w.codec !== 'none');
  if (none === undefined || codec === undefined) return 'Worker example: not measured in this run.';
  const change = 100 * (codec.workflowsPerSec / none.workflowsPerSec - 1);
  return (
    `Worker example on the dev server, order workflows (start, signal, activity, result, query), 10 at a time, median ` +
    `of interleaved rounds: **${none.workflowsPerSec.toFixed(1)}** workflows/s without a codec, ` +
    `**${codec.workflowsPerSec.toFixed(1)}** with the codec on ${codec.codec === 'vault-kv' ? 'Vault KV' : codec.codec} ` +
    `(${signed(change)} %; the dev server is most of the cost` +
    `${Math.abs(change) < 10 ? ', and the difference is within the run-to-run spread' : ''}).`
  );
}
