import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/tools.js';

const run = promisify(execFile);

// Vitest smooths over ESM/CommonJS interop; plain Node does not. This proves the published build loads and works
// through the package's own subpath exports, the way users import it.
describe('the built package', () => {
  it('builds with tsc and round-trips a payload through the codec subpath export in plain Node', async () => {
    await run(process.execPath, [`${projectRoot}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], {
      cwd: projectRoot,
      timeout: 180_000,
    });
    const script = `
      const { aeadBackend, EncryptionCodec, CachingKeyProvider, MemoryKeyStore } = await import('temporal-vault-codec/codec');
      const store = new MemoryKeyStore();
      store.rotate('default');
      const provider = new CachingKeyProvider(store);
      const codec = new EncryptionCodec({ namespace: 'default', keyProvider: provider });
      const [encoded] = await codec.encode([{ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"hi"') }]);
      const [decoded] = await codec.decode([encoded]);
      await provider.close();
      console.log(aeadBackend().name, new TextDecoder().decode(encoded.metadata.encoding), new TextDecoder().decode(decoded.data));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: projectRoot,
      timeout: 30_000,
    });
    // dist/ finds the native module at the package root, as an installed package does.
    expect(stdout.trim()).toBe('native binary/encrypted "hi"');
    // The storage subpath loads too, the SDK's S3 driver (CommonJS) and the AWS SDK included.
    const storage = `
      const { createS3ExternalStorage, isStorageReference } = await import('temporal-vault-codec/storage');
      const made = createS3ExternalStorage({ bucket: 'payloads', endpoint: 'http://127.0.0.1:9' });
      console.log(made.driver.name, made.externalStorage.payloadSizeThreshold, isStorageReference({ metadata: {} }));
      made.close();
    `;
    const loaded = await run(process.execPath, ['--input-type=module', '-e', storage], {
      cwd: projectRoot,
      timeout: 30_000,
    });
    expect(loaded.stdout.trim()).toBe('aws.s3driver 262144 false');
  }, 240_000);
});
