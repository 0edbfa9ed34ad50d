import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3RequestOptions, S3StorageDriverClient } from '@temporalio/external-storage-s3';
import { classifyS3Error } from './s3-errors.js';
import { STORAGE_ERROR_CODES, StorageError } from './storage-errors.js';

/** Options of {@link S3ObjectClient}. */
export interface S3ObjectClientOptions {
  /** A configured AWS SDK client (region, endpoint, credentials from the default chain or given). */
  readonly s3: S3Client;
  /** Objects larger than this are refused before their body is read (the announced length), and while reading. */
  readonly maxObjectBytes: number;
  /** Shown in error messages of the SDK's driver: no secrets, only where requests go. */
  readonly describe?: Readonly<Record<string, string>>;
}

/**
 * The object operations of the SDK's S3 driver (`S3StorageDriverClient`) over `@aws-sdk/client-s3`, with what the
 * SDK's own adapter leaves out: a size limit enforced before and while a body is read, abort signals passed to every
 * request, and every failure turned into a {@link StorageError} whose code says whether retrying can help.
 */
export class S3ObjectClient implements S3StorageDriverClient {
  readonly #s3: S3Client;
  readonly #maxBytes: number;
  readonly #describe: Readonly<Record<string, string>>;

  constructor(options: S3ObjectClientOptions) {
    if (!Number.isSafeInteger(options.maxObjectBytes) || options.maxObjectBytes < 1) {
      throw new RangeError('maxObjectBytes must be a positive integer');
    }
    this.#s3 = options.s3;
    this.#maxBytes = options.maxObjectBytes;
    this.#describe = Object.freeze({ ...options.describe });
  }

  async putObject(bucket: string, key: string, data: Uint8Array, options: S3RequestOptions = {}): Promise<void> {
    this.#checkSize(data.length, bucket, key);
    try {
      await this.#s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentLength: data.length }),
        signal(options),
      );
    } catch (err) {
      throw classifyS3Error(err, { bucket, key });
    }
  }

  async objectExists(bucket: string, key: string, options: S3RequestOptions = {}): Promise<boolean> {
    try {
      await this.#s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), signal(options));
      return true;
    } catch (err) {
      const classified = classifyS3Error(err, { bucket, key });
      if (classified.code === STORAGE_ERROR_CODES.objectNotFound) return false;
      throw classified;
    }
  }

  async getObject(bucket: string, key: string, options: S3RequestOptions = {}): Promise<Uint8Array> {
    let body: AsyncIterable<Uint8Array> & { destroy?: () => void };
    let announced: number | undefined;
    try {
      const answer = await this.#s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal(options));
      body = answer.Body as unknown as AsyncIterable<Uint8Array> & { destroy?: () => void };
      announced = answer.ContentLength;
    } catch (err) {
      throw classifyS3Error(err, { bucket, key });
    }
    if (announced !== undefined && announced > this.#maxBytes) {
      body.destroy?.();
      this.#checkSize(announced, bucket, key);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        total += chunk.length;
        // A store that announced less than it sends (or nothing) is still held to the limit.
        if (total > this.#maxBytes) {
          body.destroy?.();
          this.#checkSize(total, bucket, key);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw classifyS3Error(err, { bucket, key });
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }

  describe(): Record<string, string> {
    return { ...this.#describe };
  }

  #checkSize(size: number, bucket: string, key: string): void {
    if (size > this.#maxBytes) {
      throw new StorageError(
        STORAGE_ERROR_CODES.blobTooLarge,
        `the stored object is larger than the ${this.#maxBytes}-byte limit`,
        { context: { bucket, key } },
      );
    }
  }
}

function signal(options: S3RequestOptions): { abortSignal?: AbortSignal } {
  return options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal };
}
