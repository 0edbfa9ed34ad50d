import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSections, replaceSections } from '../../bench/readme-tables.js';
import type { BenchReport } from '../../bench/report.js';
import type { LoadCase } from '../../bench/server-load.js';

const load = (server: string, requestsPerSec: number, cpuUsPerRequest: number): LoadCase => ({
  server,
  route: 'decode',
  sizeBytes: 1024,
  batch: 1,
  requestsPerSec,
  p50Ms: 1,
  p99Ms: 4,
  cpuUsPerRequest,
  payloadsPerSec: requestsPerSec,
  ratioToBare: requestsPerSec / 20_000,
  ratioToSample: requestsPerSec / 5_000,
});

const report: BenchReport = {
  machine: '2 x Test CPU, 8 GiB, Node v20.0.0',
  load: { start: '0.10, 0.20, 0.30', end: '0.40, 0.50, 0.60' },
  aead: 'native',
  date: '2026-01-02T03:04:05.000Z',
  cases: [
    { name: 'codec[vault-kv] encode', size: 1024, batch: 1, opsPerSec: 1, ratioToRaw: 2.5, ratioToBaseline: 40 },
    { name: 'codec[vault-kv] decode', size: 1024, batch: 1, opsPerSec: 1, ratioToRaw: 1.75, ratioToBaseline: 29.46 },
  ],
  serverLoad: [
    load('codec-server', 10_000, 100),
    load('codec-server, audit off', 11_000, 90),
    load('bare node:http', 20_000, 50),
    load('bare + token, CORS, metrics, audit', 15_000, 70),
    load('sample-style express', 5_000, 200),
  ],
  vaultRequests: [{ mode: 'vault-kv', coldPer1000: 1, warmPer1000: 0 }],
  coldTransit: { payloads: 100, dataKeys: 20, latencyMs: 50, vaultRequests: 1, durationMs: 61.4 },
  workers: [
    { codec: 'none', workflowsPerSec: 40, workflows: 60 },
    { codec: 'vault-kv', workflowsPerSec: 38, workflows: 60 },
  ],
};

describe('README benchmark figures', () => {
  it('renders every section from the report, and quotes the same figures in the sentences', () => {
    const sections = renderSections(report);
    expect(sections.codec).toContain('| 1 KiB | 1 | 2.50 / 40.0 | 1.75 / 29.5 | - | - |');
    expect(sections.server).toContain(
      '| decode 1 x 1 KiB | `temporal-codec-server` | 10,000 | 1.00 / 4.00 ms | 100 µs | 0.50 | **2.00** |',
    );
    expect(sections.server).toContain('decode 1 x 1 KiB 2.00 x (100 against 50 µs)');
    expect(sections.server).toContain('| bare + token, CORS, metrics, audit line | 15,000 |');
    expect(sections.server).toContain(
      '(the least they can cost), against the bare server: decode 1 x 1 KiB 1.40 x CPU, 0.75 x requests/s',
    );
    expect(sections.server).toContain('decode 1 x 1 KiB −9 % requests/s, +11 % CPU per request');
    expect(sections.vault).toContain('**1** Vault request (`transit/decrypt` with `batch_input`), 61 ms');
    expect(sections.worker).toContain(
      '**40.0** workflows/s without a codec, **38.0** with the codec on Vault KV (−5 %',
    );
    expect(sections.run).toContain('load average 0.10, 0.20, 0.30 at the start');
  });

  it('replaces marked sections only, idempotently, and refuses a README without a marker', () => {
    const text = 'intro\n<!-- bench:run -->\nold\n<!-- /bench:run -->\noutro\n';
    const once = replaceSections(text, { run: 'new figures' });
    expect(once).toBe('intro\n<!-- bench:run -->\nnew figures\n<!-- /bench:run -->\noutro\n');
    expect(replaceSections(once, { run: 'new figures' })).toBe(once);
    expect(() => replaceSections(text, { codec: 'x' })).toThrow(/bench:codec/);
  });

  it('finds every section marker in the project README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(() => replaceSections(readme, renderSections(report))).not.toThrow();
  });
});
