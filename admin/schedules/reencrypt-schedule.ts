import { randomUUID } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { isGrpcServiceError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { isEncrypted, readEncryptedHeader, type EncryptionCodec } from '../../codec/index.js';
import type { WorkflowService } from '../temporal/connect-temporal.js';
import { forEachPayload } from '../usage/payload-walk.js';

/** The key new payloads are sealed with. */
export interface CurrentKey {
  readonly keyId: string;
  readonly version: number;
}

type Described = temporal.api.workflowservice.v1.IDescribeScheduleResponse;

interface StalePayload {
  readonly payload: Payload;
  readonly version: number;
  readonly replace: (next: Payload) => void;
}

/** A schedule read for re-encryption: its payloads sealed under other versions than the current one. */
export interface ScheduleSnapshot {
  readonly scheduleId: string;
  readonly described: Described;
  /** In the schedule (action input, memo, header and user metadata of the workflow it starts). */
  readonly inSchedule: readonly StalePayload[];
  /** In the schedule's own memo. */
  readonly inMemo: readonly StalePayload[];
  /** Payloads without encryption, left as they are. */
  readonly unencrypted: number;
}

/** Encrypted payloads of `message` not sealed under `current`, with a way to swap each in place. */
function stalePayloads(root: 'schedule' | 'memo', message: object | null | undefined, current: CurrentKey) {
  const stale: StalePayload[] = [];
  let unencrypted = 0;
  if (!message) return { stale, unencrypted };
  forEachPayload(root, message, (payload, place, replace) => {
    if (place.searchAttribute) return;
    if (!isEncrypted(payload)) {
      unencrypted++;
      return;
    }
    // Malformed metadata throws here; the schedule is reported as failed with the codec's own error code.
    const { keyId, version } = readEncryptedHeader(payload);
    if (keyId !== current.keyId || version !== current.version) stale.push({ payload, version, replace });
  });
  return { stale, unencrypted };
}

/** Reads a schedule and finds its stale payloads; AdminError ERR_TEMPORAL_NOT_FOUND when it does not exist. */
export async function readSchedule(
  service: WorkflowService,
  namespace: string,
  scheduleId: string,
  current: CurrentKey,
): Promise<ScheduleSnapshot> {
  const described = await service.describeSchedule({ namespace, scheduleId });
  const inSchedule = stalePayloads('schedule', described.schedule, current);
  const inMemo = stalePayloads('memo', described.memo, current);
  return {
    scheduleId,
    described,
    inSchedule: inSchedule.stale,
    inMemo: inMemo.stale,
    unencrypted: inSchedule.unencrypted + inMemo.unencrypted,
  };
}

/** The versions the stale payloads of a snapshot are sealed under, ascending. */
export function staleVersions(snapshot: ScheduleSnapshot): number[] {
  return [...new Set([...snapshot.inSchedule, ...snapshot.inMemo].map((p) => p.version))].sort((a, b) => a - b);
}

/**
 * Opens every stale payload of the snapshot (proving it is readable) and, unless `dryRun`, seals it again under the
 * codec's current version, in place in the snapshot's copy of the schedule.
 *
 * @throws CodecError from the codec, e.g. ERR_KEY_VERSION_DESTROYED when a payload's version is gone already.
 */
export async function resealSnapshot(snapshot: ScheduleSnapshot, codec: EncryptionCodec, dryRun: boolean) {
  const stale = [...snapshot.inSchedule, ...snapshot.inMemo];
  if (stale.length === 0) return;
  const opened = await codec.decode(stale.map((p) => p.payload));
  if (dryRun) return;
  const sealed = await codec.encode(opened);
  stale.forEach((p, i) => p.replace(sealed[i]!));
}

/** What {@link updateSchedule} did. */
export interface UpdateOutcome {
  /** Whether an update was sent and accepted (not sent when only a refused memo had anything to change). */
  readonly scheduleUpdated: boolean;
  /** `false`: no memo change was sent, or the server refused it. */
  readonly memoUpdated: boolean;
  /** The server's reason for refusing the memo update. */
  readonly memoRefusal?: string;
}

const FAILED_PRECONDITION = 9;

/**
 * Writes the resealed schedule back with the conflict token of the describe it came from, so that an edit made in
 * between is never overwritten (the server drops or refuses an update whose token is stale; the caller checks which
 * happened by reading the schedule again). The schedule's own memo is sent only when it changed; servers whose
 * schedules are backed by workflows refuse memo updates (FAILED_PRECONDITION), and then the schedule is updated
 * without it, or not at all when nothing else changed.
 */
export async function updateSchedule(
  service: WorkflowService,
  namespace: string,
  snapshot: ScheduleSnapshot,
): Promise<UpdateOutcome> {
  const request = {
    namespace,
    scheduleId: snapshot.scheduleId,
    schedule: snapshot.described.schedule,
    conflictToken: snapshot.described.conflictToken,
    identity: 'temporal-codec schedules reencrypt',
    requestId: randomUUID(),
  };
  if (snapshot.inMemo.length === 0) {
    await service.updateSchedule(request);
    return { scheduleUpdated: true, memoUpdated: false };
  }
  try {
    await service.updateSchedule({ ...request, memo: snapshot.described.memo });
    return { scheduleUpdated: true, memoUpdated: true };
  } catch (err) {
    if (!isGrpcServiceError(err) || Number(err.code) !== FAILED_PRECONDITION) throw err;
    const memoRefusal = err.details || err.message;
    if (snapshot.inSchedule.length === 0) return { scheduleUpdated: false, memoUpdated: false, memoRefusal };
    await service.updateSchedule({ ...request, requestId: randomUUID() });
    return { scheduleUpdated: true, memoUpdated: false, memoRefusal };
  }
}
