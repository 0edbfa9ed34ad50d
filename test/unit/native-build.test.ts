import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The install step never fails because of the optional native module: whatever is missing, it says why and exits 0,
// and a module built earlier is left as it was.
const script = fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url));
const built = fileURLToPath(new URL('../../native/build/aead.node', import.meta.url));

function build(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
}

describe('scripts/build-native.mjs', () => {
  it('is a no-op when the module is newer than its source and was built for this Node', () => {
    // The first run brings a module built before the build record existed up to date.
    expect(build({}).status).toBe(0);
    const before = statSync(built).mtimeMs;
    const run = build({});
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(statSync(built).mtimeMs).toBe(before);
  });

  it('exits 0 with the reason when the compiler is missing, keeping the module built before', () => {
    const before = statSync(built).mtimeMs;
    const run = build({ CC: '/nonexistent/cc' }, '--force');
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/native AES-GCM module not built \(\/nonexistent\/cc: .*\); the codec uses node:crypto/);
    expect(statSync(built).mtimeMs).toBe(before);
  });

  it('exits 0 with the reason when the compiler fails or headers are missing', () => {
    const failing = build({ CC: 'false' }, '--force');
    expect(failing.status).toBe(0);
    expect(failing.stderr).toContain('false exited with 1');
    const noHeaders = build({ TEMPORAL_CODEC_NODE_HEADERS: '/nonexistent' }, '--force');
    expect(noHeaders.status).toBe(0);
    expect(noHeaders.stderr).toContain("(Node's headers not found)");
  });

  it('builds nothing with TEMPORAL_CODEC_NATIVE_BUILD=off', () => {
    const run = build({ TEMPORAL_CODEC_NATIVE_BUILD: 'off' }, '--force');
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('(TEMPORAL_CODEC_NATIVE_BUILD=off)');
  });
});
