import { table } from '../text-table.js';
import type { ReencryptResult } from './reencrypt-command.js';

/** `schedules reencrypt` for people: one row per schedule. */
export function renderReencrypt(result: ReencryptResult): string {
  const head =
    `Schedules of namespace ${result.namespace}, sealed under ${result.keyId} version ${result.toVersion}` +
    `${result.dryRun ? ' (dry run: nothing was changed)' : ''}:`;
  if (result.schedules.length === 0) return `${head} none.\n`;
  const rows = result.schedules.map((s) => {
    const notes = [
      ...(s.error === undefined ? [] : [`[${s.error.code}] ${s.error.message}`]),
      ...(s.memoPayloadsKept > 0
        ? [`schedule memo kept under version ${s.memoKeptVersions.join(',')}: ${s.memoRefusal ?? 'not updatable'}`]
        : []),
      ...(s.unencrypted > 0 ? [`${s.unencrypted} unencrypted payloads left as they are`] : []),
    ];
    const from = s.fromVersions.length === 0 ? '-' : s.fromVersions.join(',');
    return [s.scheduleId, s.outcome, String(s.payloads), from, notes.join('; ')];
  });
  const tail = result.failed > 0 ? `${result.failed} schedules were not re-encrypted.\n` : '';
  return `${head}\n${table(['SCHEDULE', 'OUTCOME', 'PAYLOADS', 'FROM VERSIONS', 'NOTE'], rows)}${tail}`;
}
