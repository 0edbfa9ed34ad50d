import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorageReference } from '../../codec/index.js';
import { runArchive } from '../../worker-example/client.js';
import { archiveDocument } from '../../worker-example/workflows.js';
import { artifactPath, launchChromium } from '../support/browser.js';
import { waitUntil } from '../../harness/managed-process.js';
import { runTemporalCli } from '../../harness/temporal-dev-server.js';
import {
  collectPayloads,
  fetchHistoryEvents,
  historyBytes,
  metadataText,
  payloadToJson,
  plaintextFound,
  type HistoryEvent,
} from '../support/temporal-fixtures.js';
import { BUCKET, bigDocument, startStorageStack, type StorageStack } from './external-storage-stack.js';

// A 3 MiB document through an encrypting worker with external storage on, against S3Proxy and a dev server; then
// the codec server's /decode and /download, the CLI and the Web UI read it back, and the store goes down mid-run.
const TASK_QUEUE = 'storage-e2e';
let stack: StorageStack;
let run: { workflowId: string; runId: string };
let marker: string;
let events: HistoryEvent[];
let inputReference: ReturnType<typeof payloadToJson>;

beforeAll(async () => {
  stack = await startStorageStack();
  await stack.startWorker(TASK_QUEUE);
  const big = bigDocument(3);
  marker = big.marker;
  const result = await runArchive(stack.clients.client, big.document, { taskQueue: TASK_QUEUE });
  expect(result.archived).toEqual({ ...big.document, archiveId: expect.stringMatching(/^archive-/) as string });
  run = result;
  events = await fetchHistoryEvents(stack.clients.rawClient, run.workflowId, run.runId);
  const started = events.find((e) => e.workflowExecutionStartedEventAttributes != null);
  inputReference = payloadToJson(started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
}, 180_000);

afterAll(() => stack?.stop());

async function post(path: string, payloads: unknown[]) {
  const res = await fetch(`${stack.codecUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
    body: JSON.stringify({ payloads }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { payloads?: Array<{ data?: string }>; error?: { code: string } },
  };
}

const textOf = (payload: { data?: string } | undefined) => Buffer.from(payload?.data ?? '', 'base64').toString('utf8');

describe('a 3 MiB workflow input and result with external storage and the encryption codec', () => {
  it('completes, and the history holds references only: no plaintext, a few kilobytes', () => {
    const bytes = historyBytes(events);
    expect(bytes.length).toBeLessThan(64 * 1024);
    expect(plaintextFound(bytes, [marker])).toEqual([]);
    const input = events.find((e) => e.workflowExecutionStartedEventAttributes != null)!;
    const result = events.find((e) => e.workflowExecutionCompletedEventAttributes != null)!;
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes != null)!;
    const completed = events.find((e) => e.activityTaskCompletedEventAttributes != null)!;
    for (const payload of collectPayloads([input, result, scheduled, completed])) {
      expect(isStorageReference(payload), JSON.stringify(metadataText(payload))).toBe(true);
    }
  });

  it('leaves in the bucket only binary/encrypted payloads, none holding the plaintext', async () => {
    const objects = await stack.s3.objects(BUCKET);
    // Workflow input, activity argument, activity result, workflow result: each sealed under its own salt.
    expect(objects.length).toBeGreaterThanOrEqual(4);
    for (const { key, bytes } of objects) {
      expect(key).toMatch(/^v0\/ns\/default\/(wt|at)\/.+\/d\/sha256\/[0-9a-f]{64}$/);
      const stored = temporal.api.common.v1.Payload.decode(bytes);
      expect(metadataText(stored).encoding).toBe('binary/encrypted');
      expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
      expect(plaintextFound(bytes, [marker, 'party of the first part'])).toEqual([]);
    }
  });
});

describe('the codec server with --storage-bucket', () => {
  it('answers the reference itself with ?preserveStorageRefs=true', async () => {
    const { status, body } = await post('/decode?preserveStorageRefs=true', [inputReference]);
    expect(status).toBe(200);
    expect(body.payloads).toEqual([inputReference]);
  });

  it('retrieves and decodes the reference in /decode by default, and /download answers the decoded payload', async () => {
    for (const path of ['/decode', '/download', '/default/download?preserveStorageRefs=true']) {
      const { status, body } = await post(path, [inputReference]);
      expect(status).toBe(200);
      const document = JSON.parse(textOf(body.payloads?.[0])) as { pages: string };
      expect(document.pages.startsWith(marker)).toBe(true);
    }
  });

  it('lets `temporal workflow show --codec-endpoint` show the decoded 3 MiB input', async () => {
    const shown = await runTemporalCli(
      [
        'workflow',
        'show',
        '--workflow-id',
        run.workflowId,
        '--address',
        stack.dev.address,
        '--codec-endpoint',
        stack.codecUrl,
        '--output',
        'json',
      ],
      { timeoutMs: 60_000 },
    );
    expect(shown.code, shown.stderr).toBe(0);
    // `--output json` prints the decoded payloads in protojson: JSON text, base64 in `data`.
    const history = JSON.parse(shown.stdout) as { events: Array<Record<string, { input?: { payloads: unknown[] } }>> };
    const started = history.events.find((e) => e.workflowExecutionStartedEventAttributes !== undefined);
    const [input] = started!.workflowExecutionStartedEventAttributes!.input!.payloads as Array<{ data?: string }>;
    expect(textOf(input).includes(marker)).toBe(true);
    expect(shown.stdout.includes(marker)).toBe(false);
  });
});

describe('the Web UI of the dev server', () => {
  it('shows the stored input as a reference, and its download button fetches the plaintext through /download', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      const downloads: Array<{ url: string; method: string; namespace?: string; body: unknown }> = [];
      page.on('request', (request) => {
        if (request.url().startsWith(`${stack.codecUrl}/download`)) {
          downloads.push({
            url: request.url(),
            method: request.method(),
            namespace: request.headers()['x-namespace'],
            body: request.postDataJSON() as unknown,
          });
        }
      });
      await page.goto(`${stack.dev.uiUrl}/namespaces/default/workflows/${run.workflowId}/${run.runId}/history`);
      const button = page.getByRole('button', { name: /^\d+(\.\d+)? MB$/ }).first();
      await button.waitFor({ timeout: 30_000 });
      await page.screenshot({ path: artifactPath('web-ui-storage-reference.png') });
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), button.click()]);
      const saved = await download.path();
      const content = readFileSync(saved, 'utf8');
      expect(content).toContain(marker);
      expect(downloads).toHaveLength(1);
      expect(downloads[0]).toMatchObject({
        url: `${stack.codecUrl}/download?preserveStorageRefs=true`,
        method: 'POST',
        namespace: 'default',
      });
      const sent = (downloads[0]!.body as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
      expect(sent).toHaveLength(1);
      expect(Buffer.from(sent[0]!.metadata.messageType!, 'base64').toString()).toBe(
        'temporal.api.sdk.v1.ExternalStorageReference',
      );
      await page.screenshot({ path: artifactPath('web-ui-storage-downloaded.png') });
    } finally {
      await browser.close();
    }
  });
});

describe('the store going down mid-run', () => {
  it('makes downloads answer 503 until it is back, workers retry, and no workflow fails or is lost', async () => {
    const taskQueue = 'storage-outage';
    // Half a mebibyte each: over the 256 KiB threshold, so every input is stored before the workflow starts.
    const docs = Array.from({ length: 5 }, (_, i) => bigDocument(0.5, `outage-${i}`));
    const handles = await Promise.all(
      docs.map(({ document }) =>
        stack.clients.client.workflow.start(archiveDocument, {
          taskQueue,
          workflowId: `archive-${document.documentId}`,
          args: [document],
        }),
      ),
    );
    await stack.s3.kill();
    const worker = await stack.startWorker(taskQueue);

    // Each first workflow task fails on retrieving its input and is retried by the server; none fails for good.
    for (const handle of handles) {
      await waitUntil(
        async () => {
          const { raw } = await stack.clients.rawClient.workflow.getHandle(handle.workflowId).describe();
          return (raw.pendingWorkflowTask?.attempt ?? 0) >= 2 ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250, description: `a retried workflow task for ${handle.workflowId}` },
      );
    }
    const down = await post('/download', [inputReference]);
    expect([down.status, down.body.error?.code]).toEqual([503, 'ERR_STORAGE_UNAVAILABLE']);
    expect((await post('/decode', [inputReference])).status).toBe(503);
    // Rendering a history does not need the store: the Web UI's /decode keeps references.
    expect((await post('/decode?preserveStorageRefs=true', [inputReference])).status).toBe(200);

    await stack.s3.restart();
    const again = await post('/download', [inputReference]);
    expect(again.status).toBe(200);
    const archived = await Promise.all(handles.map((handle) => handle.result()));
    expect(archived.map((a) => a.pages)).toEqual(docs.map((d) => d.document.pages));
    for (const handle of handles) expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(worker.worker.getState()).toBe('RUNNING');
  }, 180_000);
});
