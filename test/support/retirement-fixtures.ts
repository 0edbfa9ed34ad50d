import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { WORKFLOW_QUERIES } from '../../admin/usage/scan-workflows.js';
import { isEncrypted } from '../../codec/index.js';
import { artifactPath } from './browser.js';
import { waitUntil } from '../../harness/managed-process.js';
import { runTemporalCli } from '../../harness/temporal-dev-server.js';
import { collectPayloads, fetchHistoryEvents, keyVersionOf } from './temporal-fixtures.js';

/** A workflow run, by id. */
export interface RunRef {
  readonly workflowId: string;
  readonly runId: string;
}

/** Waits until visibility lists exactly `open` running and `closed` closed runs, and `schedules` schedules. */
export async function untilVisible(
  client: Client,
  expected: { open: number; closed: number; schedules: number },
): Promise<void> {
  const { workflowService: service, options } = client;
  const namespace = options.namespace;
  const count = async (query: string) =>
    Number(String((await service.countWorkflowExecutions({ namespace, query })).count));
  const want = [expected.open, expected.closed, expected.schedules].join();
  await waitUntil(
    async () => {
      const listed = (await service.listSchedules({ namespace, maximumPageSize: 100 })).schedules?.length ?? 0;
      const counts = [await count(WORKFLOW_QUERIES.open), await count(WORKFLOW_QUERIES.closed), listed];
      return counts.join() === want ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: `visibility to list open, closed, schedules = ${want}` },
  );
}

/** Runs or schedules holding a version's payloads, and how many payloads. */
export interface Counted {
  subjects: number;
  payloads: number;
}

/**
 * Key usage found the plain way, as a check on `keys usage`: every history and schedule fetched with a client that
 * has no codec, every payload found by a blind walk over the messages (anything with byte-valued metadata), and its
 * version read from its metadata.
 */
export async function directUsage(rawClient: Client, ids: { open: RunRef[]; closed: RunRef[]; schedules: string[] }) {
  const result = new Map<number, { open: Counted; closed: Counted; schedules: Counted }>();
  const add = (category: 'open' | 'closed' | 'schedules', payloads: Payload[]) => {
    const perVersion = new Map<number, number>();
    for (const version of payloads.filter(isEncrypted).map(keyVersionOf)) {
      perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
    }
    for (const [version, n] of perVersion) {
      const zero = () => ({ subjects: 0, payloads: 0 });
      const entry = result.get(version) ?? { open: zero(), closed: zero(), schedules: zero() };
      entry[category].subjects++;
      entry[category].payloads += n;
      result.set(version, entry);
    }
  };
  for (const category of ['open', 'closed'] as const) {
    for (const run of ids[category]) {
      add(category, collectPayloads(await fetchHistoryEvents(rawClient, run.workflowId, run.runId)));
    }
  }
  for (const scheduleId of ids.schedules) {
    const namespace = rawClient.options.namespace;
    const described = await rawClient.workflowService.describeSchedule({ namespace, scheduleId });
    add('schedules', collectPayloads([described.schedule, described.memo]));
  }
  return result;
}

/** The key versions of the payloads a schedule stores (its action, not its memo). */
export async function scheduleVersions(rawClient: Client, scheduleId: string): Promise<number[]> {
  const namespace = rawClient.options.namespace;
  const described = await rawClient.workflowService.describeSchedule({ namespace, scheduleId });
  return collectPayloads([described.schedule]).filter(isEncrypted).map(keyVersionOf);
}

/**
 * The failures of a failed run as `temporal workflow show --output json` prints them, outermost first: each one's
 * `encodedAttributes` (base64 in the JSON) as text, `{"message", "stack_trace"}` once decoded, and its encoding.
 */
export async function shownFailures(
  server: { address: string; namespace: string },
  workflowId: string,
  codecEndpoint?: string,
): Promise<{ texts: string[]; encodings: string[] }> {
  const args = ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json'];
  if (codecEndpoint !== undefined) args.push('--codec-endpoint', codecEndpoint);
  const shown = await runTemporalCli([...args, '--address', server.address, '--namespace', server.namespace], {
    env: { TEMPORAL_CODEC_ENDPOINT: '', TEMPORAL_CODEC_AUTH: '' },
  });
  expect(shown.code, shown.stderr).toBe(0);
  interface JsonFailure {
    encodedAttributes?: { metadata?: Record<string, string>; data?: string };
    cause?: JsonFailure;
  }
  const history = JSON.parse(shown.stdout) as {
    events: Array<{ workflowExecutionFailedEventAttributes?: { failure?: JsonFailure } }>;
  };
  const unbase64 = (text = '') => Buffer.from(text, 'base64').toString('utf8');
  const texts: string[] = [];
  const encodings: string[] = [];
  let failure = history.events.find((e) => e.workflowExecutionFailedEventAttributes)
    ?.workflowExecutionFailedEventAttributes?.failure;
  for (; failure !== undefined; failure = failure.cause) {
    texts.push(unbase64(failure.encodedAttributes?.data));
    encodings.push(unbase64(failure.encodedAttributes?.metadata?.encoding));
  }
  return { texts, encodings };
}

/** Opens `url` in Chromium, waits until the page shows `waitFor`, saves a screenshot, returns the page's text. */
export async function pageText(browser: Browser, url: string, waitFor: string, screenshot: string): Promise<string> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    await page.goto(url);
    await expect.poll(() => page.innerText('body'), { timeout: 30_000, interval: 200 }).toContain(waitFor);
    await page.screenshot({ path: artifactPath(screenshot) });
    return await page.innerText('body');
  } finally {
    await page.close();
  }
}
