import { CodecError, type KeyVersionState } from '../../codec/index.js';
import type { CliCommand } from '../cli-options.js';
import type { CommandContext } from '../command-context.js';
import type { KeyAdmin, KeyDescription, KeySourceKind } from '../key-admin.js';
import { readKeyUsage, type KeyUsageReport } from './key-usage.js';
import { progressLine } from './progress-line.js';
import type { VersionUsage } from './usage-tally.js';

/** One row of `keys usage`: a key version, its state in the key source, and who needs it. */
export interface UsageRow extends VersionUsage {
  /** `null` when the key source was not readable or the payloads name another key. */
  readonly state: KeyVersionState | null;
}

/** The result of `keys usage`. */
export interface UsageResult {
  readonly kind: 'usage';
  readonly source: KeySourceKind;
  readonly keyId: string;
  /** Every version of the namespace's key (used or not) and every other key version some payload names. */
  readonly rows: readonly UsageRow[];
  readonly report: Omit<KeyUsageReport, 'versions'>;
}

/** Reads Temporal (through `ctx.openTemporal`) with a progress line on stderr, then the key's states. */
export async function scanUsage(cmd: CliCommand, ctx: CommandContext, label: string): Promise<KeyUsageReport> {
  const access = await ctx.openTemporal(cmd.temporal!);
  try {
    return await readKeyUsage(access, {
      namespace: cmd.namespace ?? '',
      includeClosed: cmd.includeClosed,
      concurrency: cmd.concurrency,
      progress: progressLine(ctx.progress, label, ctx.now),
      now: ctx.now,
    });
  } finally {
    await access.close();
  }
}

/** `temporal-codec keys usage`. */
export async function runUsage(cmd: CliCommand, admin: KeyAdmin, ctx: CommandContext): Promise<UsageResult> {
  const keyId = cmd.namespace ?? '';
  const report = await scanUsage(cmd, ctx, 'keys usage');
  let description: KeyDescription | undefined;
  try {
    description = await admin.describeKey(keyId);
  } catch (err) {
    // Usage needs Temporal only; without the key source the table simply has no states.
    if (!(err instanceof CodecError)) throw err;
    ctx.warn(`key states not shown: ${err.message} [${err.code}]`);
  }
  const { versions, ...rest } = report;
  return { kind: 'usage', source: admin.source, keyId, rows: rows(keyId, versions, description, report), report: rest };
}

function rows(keyId: string, used: readonly VersionUsage[], d: KeyDescription | undefined, report: KeyUsageReport) {
  const none = { subjects: 0, payloads: 0, examples: [] };
  const result: UsageRow[] = (d?.versions ?? []).map((v) => ({
    ...(used.find((u) => u.keyId === keyId && u.version === v.version) ?? {
      keyId,
      version: v.version,
      open: none,
      schedules: none,
      closed: report.includeClosed ? none : null,
      oldestUse: null,
      newestUse: null,
    }),
    state: v.state,
  }));
  for (const u of used) {
    if (!result.some((r) => r.keyId === u.keyId && r.version === u.version)) result.push({ ...u, state: null });
  }
  return result.sort((a, b) => (a.keyId === b.keyId ? a.version - b.version : a.keyId < b.keyId ? -1 : 1));
}
