import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The native module's C, compiled with AddressSanitizer and UndefinedBehaviorSanitizer and driven through random
// sizes, forgeries, bad arguments and disposal: any out-of-bounds access, use after free or undefined behaviour
// aborts the run. Linux with a compiler that ships the sanitizer runtimes (gcc does), as on CI.
const source = fileURLToPath(new URL('../../native/aead.c', import.meta.url));
const stress = fileURLToPath(new URL('../fixtures/native-aead-stress.mjs', import.meta.url));
const headers = join(process.execPath, '..', '..', 'include', 'node');
const compiler = process.env.CC || 'cc';
const workDir = mkdtempSync(join(tmpdir(), 'aead-sanitized-'));

/** Path of a sanitizer runtime, or undefined when the compiler has none (it then echoes the bare name). */
function runtime(name: string): string | undefined {
  const path = execFileSync(compiler, [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  return path.includes('/') ? path : undefined;
}

const runtimes = process.platform === 'linux' ? [runtime('libasan.so'), runtime('libubsan.so')] : [];

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe.runIf(runtimes.length === 2 && runtimes.every(Boolean))('native AES-GCM module under sanitizers', () => {
  it('runs 5,000 random cases with no memory error or undefined behaviour', () => {
    const module = join(workDir, 'aead.node');
    execFileSync(compiler, [
      '-std=c11',
      '-O1',
      '-g',
      '-fPIC',
      '-shared',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      '-fno-omit-frame-pointer',
      '-DNAPI_VERSION=8',
      `-I${headers}`,
      source,
      '-o',
      module,
    ]);
    const run = spawnSync(process.execPath, ['--expose-gc', stress, module, '5000'], {
      encoding: 'utf8',
      timeout: 300_000,
      env: {
        PATH: process.env.PATH,
        LD_PRELOAD: runtimes.join(':'),
        // Node itself is not instrumented and keeps memory until exit on purpose: leak reports would be about Node.
        ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
        UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('ok 5000');
    expect(run.status).toBe(0);
  });
});
