import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../codec/storage/index.js';
import { freePort } from '../../harness/free-port.js';
import {
  logTail,
  spawnProcess,
  stopProcess,
  tempLogFile,
  waitUntil,
  type ManagedProcess,
} from '../../harness/managed-process.js';
import { projectRoot } from '../../harness/tools.js';

/** A running S3Proxy: an S3-compatible server on a loopback port, with objects in a throwaway directory. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`, for `--storage-endpoint` and the S3 client's `endpoint`. */
  readonly endpoint: string;
  /** The only credentials it accepts (AWS Signature V4 is checked). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The same as environment variables, as the codec server reads them through the AWS SDK's chain. */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  /** A client for the test's own looks into the store. */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Every object of `bucket`: key and bytes (not the directory entries S3Proxy's filesystem backend lists). */
  objects(bucket: string): Promise<Array<{ key: string; bytes: Buffer }>>;
  /** Kills the server (as a crash or outage would); its objects stay on disk. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers. */
  restart(): Promise<void>;
  /** Stops it and deletes its directory. */
  stop(): Promise<void>;
}

interface Tools {
  readonly jar: string;
  readonly java: string;
}

function s3proxyTools(): Tools {
  const jarOverride = process.env.S3PROXY_JAR;
  let recorded: Record<string, unknown> = {};
  try {
    recorded = JSON.parse(readFileSync(resolve(projectRoot, '.tools', 'tools.json'), 'utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    // No install yet: the message below says what to run.
  }
  const jar = jarOverride ?? (typeof recorded.s3proxy === 'string' ? recorded.s3proxy : undefined);
  const java = process.env.JAVA_BIN ?? (typeof recorded.java === 'string' ? recorded.java : 'java');
  if (jar === undefined) {
    throw new Error(
      'No S3Proxy jar (checked $S3PROXY_JAR and .tools/tools.json); run `node scripts/install-tools.mjs`',
    );
  }
  return { jar, java };
}

/**
 * Starts S3Proxy on a free loopback port with the filesystem backend in a fresh temporary directory and random
 * credentials, and waits until it answers S3 requests.
 */
export async function startS3Server(): Promise<S3Server> {
  const tools = s3proxyTools();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 's3proxy-'));
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = {
    accessKeyId: `test-${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  const properties = join(dir, 's3proxy.conf');
  writeFileSync(
    properties,
    [
      `s3proxy.endpoint=${endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${credentials.accessKeyId}`,
      `s3proxy.credential=${credentials.secretAccessKey}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${join(dir, 'data')}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const logFile = tempLogFile('s3proxy');
  // A small heap and the client compiler: the tests store a few megabytes, and the machine has two cores.
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-jar',
    tools.jar,
    '--properties',
    properties,
  ];
  const client = createS3Client({ endpoint, credentials, maxAttempts: 1 });

  let proc: ManagedProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawnProcess(tools.java, args, { logFile });
    proc = started;
    try {
      await waitUntil(
        async () => {
          // Any S3 answer (a 403 for an unsigned request) means it is serving.
          const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
          await res.body?.cancel();
          return res.status > 0 ? true : undefined;
        },
        {
          timeoutMs: 60_000,
          intervalMs: 200,
          description: `S3Proxy at ${endpoint}`,
          abortIf: () => (started.running ? undefined : 'S3Proxy exited'),
        },
      );
    } catch (error) {
      await stopProcess(started, { signal: 'SIGKILL' });
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logTail(logFile)}`, {
        cause: error,
      });
    }
  };
  await launch();

  return {
    endpoint,
    credentials,
    env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    logFile,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    objects: async (bucket) => {
      const found: Array<{ key: string; bytes: Buffer }> = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        // The filesystem backend lists the directories of a key's path as empty `.../` entries: not objects.
        for (const item of (page.Contents ?? []).filter((entry) => entry.Key?.endsWith('/') === false)) {
          const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
          found.push({ key: item.Key!, bytes: Buffer.from(await object.Body!.transformToByteArray()) });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return found;
    },
    kill: async () => {
      if (proc !== undefined) await stopProcess(proc, { signal: 'SIGKILL' });
    },
    restart: launch,
    stop: async () => {
      client.destroy();
      if (proc !== undefined) await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
