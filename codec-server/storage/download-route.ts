import type { Request, RequestHandler, Response } from 'express';
import type { MultiNamespaceCodec } from '../../codec/index.js';
import { authorize } from '../auth.js';
import type { ServerConfig } from '../config-types.js';
import { withDeadline } from '../deadline.js';
import type { ServerMetrics } from '../metrics.js';
import { resolveNamespace } from '../namespace.js';
import { parsePayloadsBody } from '../payload-json.js';
import { writePayloads } from '../payloads-writer.js';
import { requestContext } from '../request-context.js';
import { sendAnswer } from '../send-answer.js';
import { retrieveForDownload, type StorageStepDeps } from './storage-step.js';

/** What `POST .../download` needs. */
export interface DownloadDeps {
  readonly config: ServerConfig;
  readonly codecs: MultiNamespaceCodec;
  readonly metrics: ServerMetrics;
  readonly storage?: StorageStepDeps;
}

/**
 * `POST .../download` (and `/{namespace}/download`), as the Web UI's download button and the Go SDK's payload
 * handler define it: a body of storage references in, the payloads they name out, retrieved and decoded with the
 * namespace's codec, 1:1 and in order. Permission is that of decode (a `read` role may download): both reveal the
 * same data. Query strings are ignored (the UI sends `?preserveStorageRefs=true` here too).
 */
export function downloadHandler(deps: DownloadDeps): RequestHandler {
  return (req, res, next) => {
    download(deps, req, res).catch(next);
  };
}

async function download(deps: DownloadDeps, req: Request, res: Response): Promise<void> {
  const context = requestContext(res);
  const namespace = resolveNamespace(req.get('x-namespace'), req.path, deps.config.namespaces);
  context.namespace = namespace;
  const identity = context.identity;
  if (identity === undefined) throw new Error('authentication middleware did not run');
  authorize(identity, namespace, 'decode');
  const entries = parsePayloadsBody(req.body, deps.config.limits.maxPayloads);
  context.payloadCount = entries.length;
  const stored = await retrieveForDownload(
    deps.storage,
    namespace,
    entries.map((entry) => entry.payload),
  );
  context.storageObjects = stored.objects;
  const results = await withDeadline(
    deps.codecs.forNamespace(namespace).decodeSettled(stored.payloads),
    deps.config.limits.requestTimeoutMs,
  );
  const versions = new Set<string>();
  const payloads = results.map((result) => {
    if (!result.ok) {
      deps.metrics.recordCodecError('decode', result.error.code);
      throw result.error;
    }
    if (result.key !== undefined) versions.add(`${result.key.keyId}:${result.key.version}`);
    return result.payload;
  });
  context.keyVersions = [...versions].sort();
  sendAnswer(res, 200, [], writePayloads(payloads));
}
