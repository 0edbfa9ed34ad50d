import { z } from 'zod';
import { defineSetting as setting, settingFields } from '../../codec/index.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../codec/storage/index.js';

const { httpUrl, integer, size, text } = settingFields;

/** S3 bucket naming rules (3 to 63 lower-case letters, digits, dots and hyphens). */
export const bucketName = text.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
const keyPrefix = z.string().refine((value) => value.length <= 512 && !value.startsWith('/'), 'must be a key prefix');

/**
 * The codec server's external storage settings, spread into the one settings table (`config-settings.ts`).
 * Credentials are not settings: the AWS SDK's default chain finds them (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
 * `AWS_PROFILE`, web identity, container or instance roles).
 */
export const STORAGE_SETTINGS = {
  storageBucket: setting({
    flag: 'storage-bucket',
    env: 'CODEC_STORAGE_BUCKET',
    schema: bucketName.optional(),
    help: 'S3 bucket of externally stored payloads, for every namespace served (default: storage off)',
    docsDefault: 'off',
    docs: 'S3 bucket of externally stored payloads, for every namespace served; see [External storage](#external-storage)',
  }),
  storageEndpoint: setting({
    flag: 'storage-endpoint',
    env: 'CODEC_STORAGE_ENDPOINT',
    schema: httpUrl.optional(),
    help: 'S3-compatible endpoint URL, path-style requests (default: AWS S3)',
    docsDefault: 'AWS S3',
    docs: 'S3-compatible endpoint; requests become path-style',
  }),
  storageRegion: setting({
    flag: 'storage-region',
    env: 'AWS_REGION',
    schema: text.optional(),
    help: 'AWS region of the bucket (default: the AWS SDK chain, or us-east-1 with --storage-endpoint)',
    docsDefault: 'AWS SDK chain',
    docs: 'region of the bucket (`us-east-1` with `--storage-endpoint` when none is found)',
  }),
  storageKeyPrefix: setting({
    flag: 'storage-key-prefix',
    env: 'CODEC_STORAGE_KEY_PREFIX',
    schema: keyPrefix.optional(),
    help: 'Prefix a reference key must have; {namespace} stands for the request namespace (default v0/ns/{namespace}/)',
    docsDefault: '`v0/ns/{namespace}/`',
    docs: 'prefix a reference key must have; `{namespace}` is the request namespace',
  }),
  storageDriverName: setting({
    flag: 'storage-driver-name',
    env: 'CODEC_STORAGE_DRIVER_NAME',
    schema: text.optional(),
    help: 'driverName of the references this storage serves, as the workers set it (default aws.s3driver)',
    docsDefault: '`aws.s3driver`',
    docs: 'the `driverName` the workers write',
  }),
  storageConfig: setting({
    flag: 'storage-config',
    env: 'CODEC_STORAGE_CONFIG',
    schema: text.optional(),
    help: 'JSON file of per-namespace storage: {"<namespace>" or "*": {bucket, endpoint, region, keyPrefix, ...}}',
    docs: 'JSON file of per-namespace storage settings (`*` for the rest)',
  }),
  storageMaxBlob: setting({
    flag: 'storage-max-blob',
    env: 'CODEC_STORAGE_MAX_BLOB',
    schema: size.default(DEFAULT_MAX_PAYLOAD_BYTES),
    help: 'Largest stored payload retrieved (default 50mb, the S3 driver default)',
    docsDefault: '`50mb`',
    docs: 'largest stored payload retrieved',
  }),
  storageMaxReferences: setting({
    flag: 'storage-max-references',
    env: 'CODEC_STORAGE_MAX_REFERENCES',
    schema: integer(1, 1000).default(20),
    help: 'Most storage references retrieved in one request (default 20)',
    docsDefault: '`20`',
    docs: 'most references retrieved per request',
  }),
  storageTimeoutMs: setting({
    flag: 'storage-timeout-ms',
    env: 'CODEC_STORAGE_TIMEOUT_MS',
    schema: integer(100, 600_000).default(10_000),
    help: 'Deadline of the storage requests of one request; past it the answer is 503 (default 10000)',
    docsDefault: '`10000`',
    docs: "deadline of a request's storage reads; past it, 503",
  }),
};
