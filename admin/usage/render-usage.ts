import { formatDuration } from '../../codec/index.js';
import { table } from '../text-table.js';
import type { UsageResult } from './usage-command.js';
import type { CategoryUsage } from './usage-tally.js';

function count(usage: CategoryUsage | null): string {
  return usage === null ? '-' : String(usage.subjects);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `keys usage` for people: a summary line, the table, and what the scan cost. */
export function renderUsage(result: UsageResult): string {
  const { report } = result;
  const { open, schedules, closed } = report.totals;
  const retention = report.retentionMs === null ? '' : ` (retention ${formatDuration(report.retentionMs)})`;
  const lines = [
    `Namespace ${report.namespace}${retention} at ${report.scannedAt}: ` +
      `${plural(open?.subjects ?? 0, 'open workflow')}, ${plural(schedules?.subjects ?? 0, 'schedule')}, ` +
      (closed === null
        ? 'closed workflows not read (--include-closed).'
        : `${plural(closed.subjects, 'closed workflow')} within retention.`),
  ];
  const rows = result.rows.map((r) => [
    r.keyId,
    String(r.version),
    r.state ?? '-',
    count(r.open),
    count(r.schedules),
    count(r.closed),
    String(r.open.payloads + r.schedules.payloads + (r.closed?.payloads ?? 0)),
    r.oldestUse ?? '-',
    r.newestUse ?? '-',
  ]);
  const header = [
    'KEY',
    'VERSION',
    'STATE',
    'OPEN WORKFLOWS',
    'SCHEDULES',
    'CLOSED IN RETENTION',
    'PAYLOADS',
    'OLDEST USE',
    'NEWEST USE',
  ];
  const notes: string[] = [];
  const unencrypted =
    (open?.unencryptedPayloads ?? 0) + (schedules?.unencryptedPayloads ?? 0) + (closed?.unencryptedPayloads ?? 0);
  if (unencrypted > 0)
    notes.push(
      `${plural(unencrypted, 'payload')} without encryption (written before the codec, or by a client without it).`,
    );
  const malformed =
    (open?.malformedPayloads ?? 0) + (schedules?.malformedPayloads ?? 0) + (closed?.malformedPayloads ?? 0);
  if (malformed > 0) notes.push(`${plural(malformed, 'encrypted payload')} with unreadable key metadata.`);
  if (report.vanished > 0)
    notes.push(`${plural(report.vanished, 'run or schedule', 'runs or schedules')} vanished during the scan.`);
  const calls = Object.entries(report.apiCalls)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([method, n]) => `${method} ${n}`)
    .join(', ');
  notes.push(
    `Temporal API calls: ${report.apiCallsTotal} (${calls}); at most ${report.maxHistoryPagesPerRun} history ` +
      `${report.maxHistoryPagesPerRun === 1 ? 'page' : 'pages'} per run.`,
  );
  return `${lines.join('\n')}\n\n${table(header, rows)}\n${notes.join('\n')}\n`;
}
