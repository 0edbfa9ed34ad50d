import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Where an S3 client connects and how it signs. */
export interface S3ConnectionOptions {
  /**
   * An S3-compatible endpoint (`http(s)://host:port`), for stores other than AWS. Requests then use path-style
   * addressing (`endpoint/bucket/key`), which every S3-compatible server understands. Default: AWS S3.
   */
  readonly endpoint?: string;
  /** AWS region. Default: the AWS SDK's chain (`AWS_REGION`, profile), or `us-east-1` with an `endpoint`. */
  readonly region?: string;
  /** Default: the AWS SDK's default credential chain (environment, profile, web identity, container, instance). */
  readonly credentials?: S3ClientConfig['credentials'];
  /** Attempts per request, the first included (AWS SDK standard retry mode). Default 3. */
  readonly maxAttempts?: number;
}

/**
 * An `S3Client` for the payload store. With a custom endpoint, checksums are only sent where S3 requires them:
 * S3-compatible servers do not all accept the newer flexible checksums, and the driver checks each blob's SHA-256
 * on its own.
 */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  const custom = options.endpoint !== undefined;
  const region = options.region ?? (custom ? 'us-east-1' : undefined);
  return new S3Client({
    ...(region === undefined ? {} : { region }),
    ...(custom ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: options.maxAttempts ?? 3,
    ...(custom ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

/** What error messages may say about a client: where its requests go, never credentials. */
export function describeConnection(options: S3ConnectionOptions): Record<string, string> {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  };
}
