import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { fetchHistoryEvents, keyVersionOf, type HistoryEvent } from '../support/temporal-fixtures.js';
import { waitUntil } from '../../harness/managed-process.js';

// One run of the cross-SDK chain: the TypeScript client starts `CrossSdkOrder` on the Python workflow worker, whose
// every step is the activity `xsdk_step` on the Go activity worker; between steps the workflow waits for a `step`
// signal from the client. The key is rotated after the first step, and steps go on until all three SDKs seal with the
// new version, observed in the history.

/** The workflow's input, as the Python workflow reads it. */
export interface CrossSdkOrder {
  readonly id: string;
  readonly note: string;
  readonly activityTaskQueue: string;
}

/** The workflow's result, as the Python workflow returns it. */
export interface CrossSdkResult {
  readonly order: string;
  readonly notes: string[];
  readonly closing: string;
}

/** The payloads of a history grouped by the SDK that sealed them. */
export interface PayloadsBySealer {
  /** Workflow input and signals: sealed by the TypeScript client. */
  readonly typescript: Payload[];
  /** Activity inputs and the workflow result: sealed by the Python workflow worker. */
  readonly python: Payload[];
  /** Activity results: sealed by the Go activity worker. */
  readonly go: Payload[];
}

/** What a finished run left behind. */
export interface CrossSdkRun {
  readonly workflowId: string;
  readonly order: CrossSdkOrder;
  /** The notes the steps were given, in order; the last signal's note closes the run. */
  readonly notes: string[];
  readonly closing: string;
  readonly result: CrossSdkResult;
  readonly events: HistoryEvent[];
  /** Every string the run sent or computed that must not be readable in the history. */
  readonly markers: string[];
  /** How many steps it took until all three sealed with the new version. */
  readonly steps: number;
}

const first = (payloads: readonly Payload[] | null | undefined): Payload[] => (payloads?.[0] ? [payloads[0]] : []);

/** The sealed payloads of `events` by sealer, in history order. */
export function payloadsBySealer(events: readonly HistoryEvent[]): PayloadsBySealer {
  const grouped = { typescript: [] as Payload[], python: [] as Payload[], go: [] as Payload[] };
  for (const event of events) {
    grouped.typescript.push(...first(event.workflowExecutionStartedEventAttributes?.input?.payloads));
    grouped.typescript.push(...first(event.workflowExecutionSignaledEventAttributes?.input?.payloads));
    grouped.python.push(...first(event.activityTaskScheduledEventAttributes?.input?.payloads));
    grouped.python.push(...first(event.workflowExecutionCompletedEventAttributes?.result?.payloads));
    grouped.go.push(...first(event.activityTaskCompletedEventAttributes?.result?.payloads));
  }
  return grouped;
}

const completedSteps = (events: readonly HistoryEvent[]): number =>
  events.filter((event) => event.activityTaskCompletedEventAttributes != null).length;

/** The key version of the last payload each SDK sealed. */
function latestVersions(events: readonly HistoryEvent[]): number[] {
  const { typescript, python, go } = payloadsBySealer(events);
  return [typescript, python, go].map((sealed) => keyVersionOf(sealed.at(-1)!));
}

/**
 * Runs the chain from `client` (whose data converter seals with the shared keys), calling `rotate` once the first step
 * is done, and returns the raw history of the finished run.
 */
export async function runCrossSdkChain(
  client: Client,
  options: { workflowTaskQueue: string; activityTaskQueue: string; rotate: () => Promise<void> },
): Promise<CrossSdkRun> {
  const tag = randomUUID().slice(0, 8);
  const order: CrossSdkOrder = {
    id: `order-${tag}`,
    note: `first note Ada Lovelace ${tag}`,
    activityTaskQueue: options.activityTaskQueue,
  };
  const markers = [order.id, order.note, `go saw ${order.note}`];
  const notes = [order.note];
  const workflowId = `cross-sdk-${tag}`;
  const handle = await client.workflow.start('CrossSdkOrder', {
    taskQueue: options.workflowTaskQueue,
    workflowId,
    args: [order],
  });
  const history = () => fetchHistoryEvents(client, workflowId);
  const stepDone = (count: number) =>
    waitUntil(
      async () => {
        const events = await history();
        return completedSteps(events) >= count ? events : undefined;
      },
      { timeoutMs: 30_000, description: `step ${count} of ${workflowId}` },
    );

  await stepDone(1);
  await options.rotate();
  // Each SDK trusts its newest key version for a short TTL: step on until the last payload each one sealed names the
  // rotated version (each step has the client seal a signal, Python an activity input and Go an activity result).
  let steps = 1;
  await waitUntil(
    async () => {
      steps += 1;
      const note = `step note Grace Hopper ${steps} ${tag}`;
      notes.push(note);
      markers.push(note, `go saw ${note}`);
      await handle.signal('step', { note });
      const events = await stepDone(steps);
      return latestVersions(events).every((version) => version === 2) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, description: 'all three SDKs to seal with the rotated key' },
  );
  const closing = `closing note Alan Turing ${tag}`;
  markers.push(closing, `python closed ${closing}`);
  await handle.signal('step', { note: closing, last: true });
  const result = (await handle.result()) as CrossSdkResult;
  return { workflowId, order, notes, closing, result, events: await history(), markers, steps };
}
