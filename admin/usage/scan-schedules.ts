import type { temporal } from '@temporalio/proto';
import { ADMIN_ERROR_CODES, AdminError } from '../admin-error.js';
import type { WorkflowService } from '../temporal/connect-temporal.js';
import { forEachBounded } from './bounded-pool.js';
import { forEachPayload } from './payload-walk.js';
import type { Progress } from './progress-line.js';
import { protoMillis } from './timestamps.js';
import { SubjectPayloads, type UsageTally } from './usage-tally.js';

/** Schedules asked for per `ListSchedules` page. */
export const SCHEDULE_PAGE_SIZE = 1000;

/** What the schedule scan saw. */
export interface ScheduleScanStats {
  readonly scanned: number;
  /** Schedules listed but deleted before they were described. */
  readonly vanished: number;
}

type DescribedSchedule = temporal.api.workflowservice.v1.IDescribeScheduleResponse;

/**
 * The payload references of a described schedule: its action (input, memo, header, user metadata of the workflow it
 * starts), its own memo and its search attributes. Dated by the schedule's last update (or creation).
 */
export function schedulePayloads(described: DescribedSchedule): SubjectPayloads {
  const subject = new SubjectPayloads();
  const at = protoMillis(described.info?.updateTime) ?? protoMillis(described.info?.createTime);
  const add = (root: 'schedule' | 'memo' | 'searchAttributes', message: object | null | undefined) => {
    if (message) forEachPayload(root, message, (payload, place) => subject.add(payload, place, at));
  };
  add('schedule', described.schedule);
  add('memo', described.memo);
  add('searchAttributes', described.searchAttributes);
  return subject;
}

/**
 * Describes every schedule of the namespace (listing does not return action inputs) and tallies the key versions of
 * their payloads. API calls: ceil(S / 1,000) `ListSchedules` and one `DescribeSchedule` per schedule.
 */
export async function scanSchedules(
  service: WorkflowService,
  options: { namespace: string; concurrency: number; progress: Progress; tally: UsageTally },
): Promise<ScheduleScanStats> {
  const { namespace, progress, tally } = options;
  progress.start('schedules', undefined);
  let scanned = 0;
  let vanished = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await service.listSchedules({ namespace, maximumPageSize: SCHEDULE_PAGE_SIZE, nextPageToken });
    await forEachBounded(page.schedules ?? [], options.concurrency, async (entry) => {
      const scheduleId = entry.scheduleId ?? '';
      try {
        tally.record(
          'schedules',
          scheduleId,
          schedulePayloads(await service.describeSchedule({ namespace, scheduleId })),
        );
        scanned++;
      } catch (err) {
        if (!(err instanceof AdminError && err.code === ADMIN_ERROR_CODES.temporalNotFound)) throw err;
        vanished++;
      }
      progress.update(scanned + vanished);
    });
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken !== undefined);
  progress.finish(scanned + vanished);
  return { scanned, vanished };
}
