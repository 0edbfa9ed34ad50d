/**
 * The codec server's external storage settings (flag, environment variable, help), spread into the one settings
 * table (`config-options.ts`). Credentials are not settings: the AWS SDK's default chain finds them
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, web identity, container or instance roles).
 */
export const STORAGE_OPTIONS = {
  storageBucket: {
    flag: 'storage-bucket',
    env: 'CODEC_STORAGE_BUCKET',
    type: 'string',
    description: 'S3 bucket of externally stored payloads, for every namespace served (default: storage off)',
  },
  storageEndpoint: {
    flag: 'storage-endpoint',
    env: 'CODEC_STORAGE_ENDPOINT',
    type: 'string',
    description: 'S3-compatible endpoint URL, path-style requests (default: AWS S3)',
  },
  storageRegion: {
    flag: 'storage-region',
    env: 'AWS_REGION',
    type: 'string',
    description: 'AWS region of the bucket (default: the AWS SDK chain, or us-east-1 with --storage-endpoint)',
  },
  storageKeyPrefix: {
    flag: 'storage-key-prefix',
    env: 'CODEC_STORAGE_KEY_PREFIX',
    type: 'string',
    description:
      'Prefix a reference key must have; {namespace} stands for the request namespace (default v0/ns/{namespace}/)',
  },
  storageDriverName: {
    flag: 'storage-driver-name',
    env: 'CODEC_STORAGE_DRIVER_NAME',
    type: 'string',
    description: 'driverName of the references this storage serves, as the workers set it (default aws.s3driver)',
  },
  storageConfig: {
    flag: 'storage-config',
    env: 'CODEC_STORAGE_CONFIG',
    type: 'string',
    description:
      'JSON file of per-namespace storage: {"<namespace>" or "*": {bucket, endpoint, region, keyPrefix, ...}}',
  },
  storageMaxBlob: {
    flag: 'storage-max-blob',
    env: 'CODEC_STORAGE_MAX_BLOB',
    type: 'string',
    description: 'Largest stored payload retrieved (default 50mb, the S3 driver default)',
  },
  storageMaxReferences: {
    flag: 'storage-max-references',
    env: 'CODEC_STORAGE_MAX_REFERENCES',
    type: 'string',
    description: 'Most storage references retrieved in one request (default 20)',
  },
  storageTimeoutMs: {
    flag: 'storage-timeout-ms',
    env: 'CODEC_STORAGE_TIMEOUT_MS',
    type: 'string',
    description: 'Deadline of the storage requests of one request; past it the answer is 503 (default 10000)',
  },
} as const;
