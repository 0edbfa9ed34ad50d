import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../../codec-server/index.js';
import { runOrder } from '../../worker-example/client.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { createCodec, type ExampleCodec } from '../../worker-example/create-codec.js';
import { bundleExampleWorkflows } from '../../worker-example/worker.js';
import { artifactPath, launchChromium } from '../support/browser.js';
import { freePort } from '../../harness/free-port.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../harness/temporal-dev-server.js';
import {
  connectClients,
  eventAttributes,
  fetchHistoryEvents,
  markedOrder,
  startCodecServer,
  startWorker,
  type RunningWorker,
  type TestClients,
} from '../support/temporal-fixtures.js';
import { kvProvider, uniquePrefix } from '../support/vault-fixtures.js';

// The Web UI served by the dev server, pointed at the codec server, in headless Chromium.
const TASK_QUEUE = 'web-ui-e2e';
const vault = inject('vault');
const keyPrefix = uniquePrefix('web-ui');
const codecEnv = { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token, VAULT_KEY_PREFIX: keyPrefix };

let server: TemporalDevServer;
let codecPort: number;
let codecServer: RunningServer | undefined;
let browser: Browser;
let clients: TestClients;
let worker: RunningWorker;
const codecs: ExampleCodec[] = [];
const { order, approval } = markedOrder();
let historyUrl: string;
/** The input payload's sealed data, base64, as the UI shows it when it cannot decode. */
let inputCiphertextBase64: string;

function exampleCodec(): ExampleCodec {
  const made = createCodec(loadExampleConfig(codecEnv));
  codecs.push(made);
  return made;
}

beforeAll(async () => {
  const admin = kvProvider(vault, { pathPrefix: keyPrefix });
  await admin.store.createKey('default');
  await admin.provider.close();
  // The UI must know the codec endpoint when it starts, and the codec server must know the UI's origin (CORS): the
  // port is chosen first, the server started on it once the UI's URL is known.
  codecPort = await freePort();
  const [dev, workflowBundle, launched] = await Promise.all([
    startTemporalDevServer({ uiCodecEndpoint: `http://127.0.0.1:${codecPort}` }),
    bundleExampleWorkflows(),
    launchChromium(),
  ]);
  server = dev;
  browser = launched;
  codecServer = await startCodecServer(codecEnv, ['--port', String(codecPort), '--cors-origins', server.uiUrl!]);
  clients = await connectClients(server.address, server.namespace, exampleCodec().codec);
  worker = await startWorker({
    address: server.address,
    namespace: server.namespace,
    taskQueue: TASK_QUEUE,
    codec: exampleCodec().codec,
    workflowBundle,
  });
  const run = await runOrder(clients.client, order, approval, { taskQueue: TASK_QUEUE });
  historyUrl = `${server.uiUrl}/namespaces/${server.namespace}/workflows/${run.workflowId}/${run.runId}/history`;
  const events = await fetchHistoryEvents(clients.rawClient, run.workflowId, run.runId);
  const input = eventAttributes(events, 'workflowExecutionStartedEventAttributes').input!.payloads![0]!;
  inputCiphertextBase64 = Buffer.from(input.data!).toString('base64');
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await clients?.close();
  await codecServer?.shutdown(0);
  await Promise.all(codecs.map((c) => c.close()));
  await server?.stop();
});

async function openHistory(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(historyUrl);
  return page;
}

/** Resolves once the page's visible text contains `text` (the UI renders asynchronously, field by field). */
async function waitForText(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.innerText('body'), { timeout: 30_000, interval: 200 }).toContain(text);
}

describe('Temporal Web UI of the dev server, with the codec server', () => {
  it('is configured with the codec endpoint', async () => {
    const response = await fetch(`${server.uiUrl}/api/v1/settings`);
    const settings = (await response.json()) as { Codec?: { Endpoint?: string } };
    expect(settings.Codec?.Endpoint).toBe(`http://127.0.0.1:${codecPort}`);
  });

  it('shows the workflow input decoded, the browser calling the codec server with the namespace', async () => {
    const page = await openHistory();
    const decodeCalls: Array<{ url: string; namespace: string | undefined }> = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`http://127.0.0.1:${codecPort}/`)) {
        decodeCalls.push({ url: request.url(), namespace: request.headers()['x-namespace'] });
      }
    });
    await waitForText(page, `"customer": "${order.customer}"`);
    const text = await page.innerText('body');
    expect(text).toContain(`"cardNumber": "${order.cardNumber}"`);
    expect(text).toContain(`"approvedBy": "${approval.approver}"`);
    expect(decodeCalls.length).toBeGreaterThan(0);
    expect(decodeCalls[0]).toEqual({
      url: `http://127.0.0.1:${codecPort}/decode?preserveStorageRefs=true`,
      namespace: server.namespace,
    });
    await page.screenshot({ path: artifactPath('web-ui-decoded.png') });
    await page.close();
  });

  it('shows only ciphertext once the codec server is stopped', async () => {
    await codecServer?.shutdown(0);
    codecServer = undefined;
    const page = await openHistory();
    // The input panel then shows the sealed bytes as base64: waiting for them proves the panel has rendered.
    await waitForText(page, inputCiphertextBase64.slice(0, 40));
    const text = await page.innerText('body');
    expect(text).not.toContain(order.customer);
    expect(text).not.toContain(order.cardNumber);
    await page.screenshot({ path: artifactPath('web-ui-encrypted.png') });
    await page.close();
  });
});
