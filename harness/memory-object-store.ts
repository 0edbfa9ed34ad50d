import type { S3RequestOptions, S3StorageDriverClient } from '@temporalio/external-storage-s3';
import { STORAGE_ERROR_CODES, StorageError } from '../codec/storage/index.js';

/** One request the store received. */
export interface RecordedRequest {
  readonly operation: 'get' | 'put' | 'exists';
  readonly bucket: string;
  readonly key: string;
}

/**
 * The object operations of the S3 driver over a map, recording every request: for unit tests of pure logic (what is
 * asked of the store, and when nothing is). S3 behaviour itself (signatures, sizes, outages) is proven against
 * S3Proxy in the integration suite.
 */
export class MemoryObjectStore implements S3StorageDriverClient {
  readonly objects = new Map<string, Uint8Array>();
  readonly requests: RecordedRequest[] = [];
  /** When set, every request fails with it (a store that is down, or refuses). */
  failWith: StorageError | undefined;
  /** Requests in flight now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Resolves each get after this many milliseconds (to observe concurrency). */
  delayMs = 0;

  putObject(bucket: string, key: string, data: Uint8Array, _options?: S3RequestOptions): Promise<void> {
    return this.#run('put', bucket, key, () => {
      this.objects.set(`${bucket}/${key}`, Uint8Array.from(data));
    });
  }

  objectExists(bucket: string, key: string, _options?: S3RequestOptions): Promise<boolean> {
    return this.#run('exists', bucket, key, () => this.objects.has(`${bucket}/${key}`));
  }

  getObject(bucket: string, key: string, _options?: S3RequestOptions): Promise<Uint8Array> {
    return this.#run('get', bucket, key, () => {
      const found = this.objects.get(`${bucket}/${key}`);
      if (found === undefined) {
        throw new StorageError(STORAGE_ERROR_CODES.objectNotFound, 'no object at the referenced key', {
          context: { bucket, key },
        });
      }
      return found;
    });
  }

  /** Requests of one operation. */
  count(operation: RecordedRequest['operation']): number {
    return this.requests.filter((request) => request.operation === operation).length;
  }

  async #run<T>(operation: RecordedRequest['operation'], bucket: string, key: string, body: () => T): Promise<T> {
    this.requests.push({ operation, bucket, key });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      if (this.failWith !== undefined) throw this.failWith;
      return body();
    } finally {
      this.inFlight--;
    }
  }
}
