import type { TemporalAccess } from '../temporal/connect-temporal.js';
import type { Progress } from './progress-line.js';
import { scanSchedules } from './scan-schedules.js';
import { scanWorkflows } from './scan-workflows.js';
import { protoMillis } from './timestamps.js';
import { UsageTally, type CategoryTotals, type UsageCategory, type VersionUsage } from './usage-tally.js';

/** Options of {@link readKeyUsage}. */
export interface KeyUsageOptions {
  readonly namespace: string;
  /** Also read closed workflows still within the namespace's retention. */
  readonly includeClosed: boolean;
  /** Histories (or schedules) read at once. */
  readonly concurrency: number;
  readonly progress: Progress;
  readonly now?: () => number;
}

/** What `keys usage` found: per key version, who still needs it. */
export interface KeyUsageReport {
  readonly namespace: string;
  readonly scannedAt: string;
  /** The namespace's retention in milliseconds: how long closed histories (and their payloads) are kept. */
  readonly retentionMs: number | null;
  readonly includeClosed: boolean;
  readonly totals: Readonly<Record<UsageCategory, CategoryTotals | null>>;
  /** Every key version some payload names, ordered by key id and version. */
  readonly versions: readonly VersionUsage[];
  /** Runs or schedules listed, then gone before they were read. */
  readonly vanished: number;
  /** Temporal API calls made, per method, and in all. */
  readonly apiCalls: Readonly<Record<string, number>>;
  readonly apiCallsTotal: number;
  /** The most `GetWorkflowExecutionHistory` pages one run needed (1 for histories under 1,000 events). */
  readonly maxHistoryPagesPerRun: number;
}

/**
 * Reads who still needs which key version of a namespace, from Temporal itself: every open run's history, every
 * schedule, and optionally every closed run within retention. Only payload metadata is read: no key, no decryption,
 * no Vault. Read-only, hence safe to interrupt at any point.
 *
 * The result is a snapshot: a run started during the scan may be missed, but it seals with the version that
 * encrypts at that moment, which is never the one an operator retires (retiring the encrypting version is refused
 * separately).
 */
export async function readKeyUsage(access: TemporalAccess, options: KeyUsageOptions): Promise<KeyUsageReport> {
  const service = access.workflowService;
  const { namespace, includeClosed, concurrency, progress } = options;
  const scannedAt = new Date((options.now ?? Date.now)()).toISOString();
  const described = await service.describeNamespace({ namespace });
  const retentionMs = protoMillis(described.config?.workflowExecutionRetentionTtl) ?? null;
  const tally = new UsageTally({ includeClosed });
  const open = await scanWorkflows(service, { namespace, category: 'open', concurrency, progress, tally });
  const schedules = await scanSchedules(service, { namespace, concurrency, progress, tally });
  const closed = includeClosed
    ? await scanWorkflows(service, { namespace, category: 'closed', concurrency, progress, tally })
    : undefined;
  const apiCalls = access.callCounts();
  return {
    namespace,
    scannedAt,
    retentionMs,
    includeClosed,
    totals: tally.totals(),
    versions: tally.versions(),
    vanished: open.vanished + schedules.vanished + (closed?.vanished ?? 0),
    apiCalls,
    apiCallsTotal: Object.values(apiCalls).reduce((sum, n) => sum + n, 0),
    maxHistoryPagesPerRun: Math.max(open.maxHistoryPages, closed?.maxHistoryPages ?? 0),
  };
}
