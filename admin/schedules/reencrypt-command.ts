import { CodecError, type EncryptionCodec } from '../../codec/index.js';
import { ADMIN_ERROR_CODES, AdminError } from '../admin-error.js';
import type { CliCommand } from '../cli-options.js';
import type { CommandContext } from '../command-context.js';
import type { WorkflowService } from '../temporal/connect-temporal.js';
import { SCHEDULE_PAGE_SIZE } from '../usage/scan-schedules.js';
import { readSchedule, resealSnapshot, staleVersions, updateSchedule, type CurrentKey } from './reencrypt-schedule.js';

/** What happened to one schedule. */
export interface ScheduleOutcome {
  readonly scheduleId: string;
  /** `current`: nothing under an older version (a second run reports this: the command is idempotent). */
  readonly outcome: 'reencrypted' | 'would-reencrypt' | 'current' | 'vanished' | 'failed';
  /** Payloads sealed again (or that would be). */
  readonly payloads: number;
  /** The versions those payloads were sealed under. */
  readonly fromVersions: readonly number[];
  /** Payloads of the schedule's own memo left under an older version because the server refuses memo updates. */
  readonly memoPayloadsKept: number;
  /** The versions of those memo payloads (they keep the version in use: see `keys usage`). */
  readonly memoKeptVersions: readonly number[];
  readonly memoRefusal?: string;
  /** Payloads without encryption, left unchanged. */
  readonly unencrypted: number;
  /** Describe-update rounds (more than one when a concurrent edit won the conflict token). */
  readonly attempts: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The result of `schedules reencrypt`. */
export interface ReencryptResult {
  readonly kind: 'reencrypt';
  readonly namespace: string;
  readonly keyId: string;
  readonly toVersion: number;
  readonly dryRun: boolean;
  readonly schedules: readonly ScheduleOutcome[];
  /** Schedules that could not be re-encrypted (the exit code is then 6). */
  readonly failed: number;
}

/** Rounds of describe, reseal, update before a schedule that keeps changing is reported as failed. */
const MAX_ATTEMPTS = 3;
/** How long to wait for the server to apply an accepted update (workflow-backed schedules apply it by signal). */
const APPLY_WAIT_MS = 10_000;

/**
 * `temporal-codec schedules reencrypt`: seals every schedule's payloads (action input, memo, header, user metadata
 * of the workflow it starts, and the schedule's own memo where the server allows) under the namespace's current key
 * version, so that older versions can be retired while the schedule lives on. Idempotent; `--dry-run` opens the
 * payloads (proving they are readable) and changes nothing.
 */
export async function runReencrypt(cmd: CliCommand, ctx: CommandContext): Promise<ReencryptResult> {
  const namespace = cmd.namespace ?? '';
  const access = await ctx.openTemporal(cmd.temporal!);
  const opened = ctx.openCodec(cmd.source, namespace);
  try {
    const current = await opened.currentKey();
    const service = access.workflowService;
    const ids = cmd.scheduleId === undefined ? await listScheduleIds(service, namespace) : [cmd.scheduleId];
    const schedules: ScheduleOutcome[] = [];
    for (const scheduleId of ids) {
      if (ctx.signal?.aborted === true) {
        throw new AdminError(ADMIN_ERROR_CODES.interrupted, `Interrupted before schedule ${scheduleId}`);
      }
      const outcome = await reencryptOne(service, opened.codec, { namespace, scheduleId, current, dryRun: cmd.dryRun });
      if (outcome.outcome === 'vanished' && cmd.scheduleId !== undefined) {
        throw new AdminError(
          ADMIN_ERROR_CODES.temporalNotFound,
          `No schedule ${scheduleId} in namespace ${namespace}`,
          {
            context: { namespace, scheduleId },
          },
        );
      }
      schedules.push(outcome);
    }
    const failed = schedules.filter((s) => s.outcome === 'failed').length;
    return {
      kind: 'reencrypt',
      namespace,
      keyId: current.keyId,
      toVersion: current.version,
      dryRun: cmd.dryRun,
      schedules,
      failed,
    };
  } finally {
    await opened.close();
    await access.close();
  }
}

async function listScheduleIds(service: WorkflowService, namespace: string): Promise<string[]> {
  const ids: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await service.listSchedules({ namespace, maximumPageSize: SCHEDULE_PAGE_SIZE, nextPageToken });
    for (const entry of page.schedules ?? []) ids.push(entry.scheduleId ?? '');
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken !== undefined);
  return ids;
}

interface OneSchedule {
  readonly namespace: string;
  readonly scheduleId: string;
  readonly current: CurrentKey;
  readonly dryRun: boolean;
}

/**
 * Describe, reseal, update with the conflict token, then read again until the server shows the update: done when
 * nothing is left under another version; another round when a concurrent edit won (its changes are kept, and
 * resealed in turn).
 */
export async function reencryptOne(service: WorkflowService, codec: EncryptionCodec, one: OneSchedule) {
  const { namespace, scheduleId } = one;
  let memoRefusal: string | undefined;
  let resealed = 0;
  let updated = false;
  let fromVersions: number[] = [];
  const outcome = (result: ScheduleOutcome['outcome'], attempts: number, extra: Partial<ScheduleOutcome> = {}) => ({
    scheduleId,
    outcome: result,
    payloads: resealed,
    fromVersions,
    memoPayloadsKept: 0,
    memoKeptVersions: [],
    unencrypted: 0,
    attempts,
    ...(memoRefusal === undefined ? {} : { memoRefusal }),
    ...extra,
  });
  for (let attempt = 1; ; attempt++) {
    let snapshot;
    try {
      snapshot = await readSchedule(service, namespace, scheduleId, one.current);
    } catch (err) {
      if (err instanceof AdminError && err.code === ADMIN_ERROR_CODES.temporalNotFound)
        return outcome('vanished', attempt);
      if (!(err instanceof CodecError)) throw err;
      return outcome('failed', attempt, { error: { code: err.code, message: err.message } });
    }
    const kept = memoRefusal === undefined ? 0 : snapshot.inMemo.length;
    const pending = snapshot.inSchedule.length + snapshot.inMemo.length - kept;
    const memoKeptVersions =
      kept === 0 ? [] : [...new Set(snapshot.inMemo.map((p) => p.version))].sort((a, b) => a - b);
    const settled = { memoPayloadsKept: kept, memoKeptVersions, unencrypted: snapshot.unencrypted };
    if (pending === 0) {
      if (!updated) fromVersions = [];
      return outcome(updated ? 'reencrypted' : 'current', attempt - 1, settled);
    }
    if (attempt > MAX_ATTEMPTS) {
      const message = `${scheduleId} changed during each of ${MAX_ATTEMPTS} attempts; run the command again`;
      return outcome('failed', attempt - 1, {
        ...settled,
        error: { code: ADMIN_ERROR_CODES.scheduleConflict, message },
      });
    }
    fromVersions = staleVersions(snapshot);
    try {
      await resealSnapshot(snapshot, codec, one.dryRun);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      return outcome('failed', attempt, { ...settled, error: { code: err.code, message: err.message } });
    }
    if (one.dryRun) {
      resealed = pending;
      return outcome('would-reencrypt', attempt, settled);
    }
    const update = await updateSchedule(service, namespace, snapshot);
    if (update.memoRefusal !== undefined) memoRefusal = update.memoRefusal;
    if (!update.scheduleUpdated) continue;
    updated = true;
    resealed = snapshot.inSchedule.length + (update.memoUpdated ? snapshot.inMemo.length : 0);
    await untilApplied(service, namespace, scheduleId, snapshot.described.conflictToken);
  }
}

/** Waits until the schedule's conflict token moves past `sent` (ours or a concurrent edit's), or gives up quietly. */
async function untilApplied(service: WorkflowService, namespace: string, scheduleId: string, sent?: Uint8Array | null) {
  const before = Buffer.from(sent ?? new Uint8Array());
  const deadline = Date.now() + APPLY_WAIT_MS;
  while (Date.now() < deadline) {
    const now = await service.describeSchedule({ namespace, scheduleId });
    if (!before.equals(Buffer.from(now.conflictToken ?? new Uint8Array()))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
