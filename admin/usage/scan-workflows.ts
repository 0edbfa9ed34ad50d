import type { temporal } from '@temporalio/proto';
import { ADMIN_ERROR_CODES, AdminError } from '../admin-error.js';
import type { WorkflowService } from '../temporal/connect-temporal.js';
import { forEachBounded } from './bounded-pool.js';
import { forEachPayload } from './payload-walk.js';
import type { Progress } from './progress-line.js';
import { protoMillis } from './timestamps.js';
import { SubjectPayloads, type UsageTally } from './usage-tally.js';

/**
 * Events asked for per history page: the frontend's default maximum (`limit.historyMaxPageSize`), so a history of
 * E events costs ceil(E / 1,000) reads (plus one when the server cuts a page short at a transaction boundary).
 */
export const HISTORY_PAGE_SIZE = 1000;
/** Executions asked for per visibility page. */
export const LIST_PAGE_SIZE = 1000;

/** Visibility queries of the two workflow categories. */
export const WORKFLOW_QUERIES = {
  open: "ExecutionStatus = 'Running'",
  closed: "ExecutionStatus != 'Running'",
} as const;

/** What one category's scan saw. */
export interface WorkflowScanStats {
  /** Runs listed by visibility when the scan started (`CountWorkflowExecutions`). */
  readonly counted: number;
  /** Runs whose history was read. */
  readonly scanned: number;
  /** Runs listed but gone when their history was read (deleted at the end of retention, or by an operator). */
  readonly vanished: number;
  /** The most history pages one run needed. */
  readonly maxHistoryPages: number;
}

/** Options of {@link scanWorkflows}. */
export interface WorkflowScanOptions {
  readonly namespace: string;
  readonly category: keyof typeof WORKFLOW_QUERIES;
  /** History reads in flight at once. */
  readonly concurrency: number;
  readonly progress: Progress;
  readonly tally: UsageTally;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type ExecutionInfo = temporal.api.workflow.v1.IWorkflowExecutionInfo;

/**
 * Reads the history of every run in a category (open, or closed and still within retention) and tallies the key
 * versions its payloads name. Visibility is listed one page at a time and each page's histories are read with
 * bounded concurrency, so memory holds one page of executions and `concurrency` histories at most.
 *
 * API calls: 1 `CountWorkflowExecutions`, ceil(N / 1,000) `ListWorkflowExecutions`, and per run ceil(E / 1,000)
 * `GetWorkflowExecutionHistory` for E events (+1 at most, see {@link HISTORY_PAGE_SIZE}).
 */
export async function scanWorkflows(
  service: WorkflowService,
  options: WorkflowScanOptions,
): Promise<WorkflowScanStats> {
  const { namespace, category, progress, tally } = options;
  const query = WORKFLOW_QUERIES[category];
  const counted = Number(String((await service.countWorkflowExecutions({ namespace, query })).count ?? 0));
  progress.start(category === 'open' ? 'open workflows' : 'closed workflows', counted);
  let scanned = 0;
  let vanished = 0;
  let maxHistoryPages = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await service.listWorkflowExecutions({ namespace, query, pageSize: LIST_PAGE_SIZE, nextPageToken });
    await forEachBounded(page.executions ?? [], options.concurrency, async (info: ExecutionInfo) => {
      const read = await readRun(service, namespace, info);
      if (read === undefined) vanished++;
      else {
        tally.record(category, info.execution?.workflowId ?? '', read.subject);
        maxHistoryPages = Math.max(maxHistoryPages, read.pages);
        scanned++;
      }
      progress.update(scanned + vanished);
    });
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken !== undefined);
  progress.finish(scanned + vanished);
  return { counted, scanned, vanished, maxHistoryPages };
}

/** One run's payload references, or `undefined` when the run no longer exists. */
async function readRun(
  service: WorkflowService,
  namespace: string,
  info: ExecutionInfo,
): Promise<{ subject: SubjectPayloads; pages: number } | undefined> {
  const execution = { workflowId: info.execution?.workflowId ?? '', runId: info.execution?.runId ?? '' };
  const subject = new SubjectPayloads();
  let pages = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    let response;
    try {
      response = await service.getWorkflowExecutionHistory({
        namespace,
        execution,
        maximumPageSize: HISTORY_PAGE_SIZE,
        nextPageToken,
        // Histories past retention are not what this scan is about; never fetch them from an archive.
        skipArchival: true,
      });
    } catch (err) {
      if (err instanceof AdminError && err.code === ADMIN_ERROR_CODES.temporalNotFound) return undefined;
      throw err;
    }
    pages++;
    for (const event of (response.history?.events ?? []) as HistoryEvent[]) {
      const at = protoMillis(event.eventTime);
      forEachPayload('historyEvent', event, (payload, place) => subject.add(payload, place, at));
    }
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken !== undefined);
  return { subject, pages };
}
