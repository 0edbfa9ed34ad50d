import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKeyring } from '../../codec/index.js';
import { compileSources } from '../support/compiled-sources.js';

// The local keyring is one JSON file changed by read-modify-write. Two processes changing it at once (an
// administrator destroying a version while a codec server creates a namespace's key) must both take effect: the
// change is made under a lock held across processes, and the file is still replaced atomically.

const ROUNDS = 40;
const writerScript = fileURLToPath(new URL('../fixtures/keyring-writer.mjs', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;
const lines: string[] = [];
const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];

/** The next line of the writer process starting with `prefix` (or `error`). */
function nextLine(prefix: string): Promise<string> {
  const index = lines.findIndex((line) => line.startsWith(prefix) || line.startsWith('error'));
  if (index !== -1) return Promise.resolve(lines.splice(index, 1)[0]!);
  return new Promise((resolveLine) => waiters.push({ prefix, resolve: resolveLine }));
}

let keyringPath = '';

beforeAll(async () => {
  const build = await compileSources('keyring-lock', ['codec/keys/local-keyring.ts']);
  keyringPath = join(mkdtempSync(join(tmpdir(), 'keyring-lock-')), 'keyring.json');
  child = spawn(process.execPath, [writerScript, resolve(build, 'codec/keys/local-keyring.js'), keyringPath]);
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiters.findIndex((w) => line.startsWith(w.prefix) || line.startsWith('error'));
    if (waiter === -1) lines.push(line);
    else waiters.splice(waiter, 1)[0]!.resolve(line);
  });
}, 180_000);

afterAll(() => {
  child?.stdin.end();
  child?.kill();
});

interface StoredFile {
  keys: Record<string, { versions: Array<{ version: number; state: string; material?: string }> }>;
}

describe('LocalKeyring across processes', () => {
  it(`loses no update when a destroy races key creation in another process, ${ROUNDS} times`, async () => {
    const admin = new LocalKeyring({ path: keyringPath, warn: () => undefined });
    const lost: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { version } = await admin.rotateKey('victim');
      const keyId = `ns-${round}`;
      const started = nextLine(`start ${keyId}`);
      const done = nextLine(`done ${keyId}`);
      child!.stdin.write(`create ${keyId}\n`);
      await started;
      // The destroy starts while the other process is inside its change.
      await admin.setVersionState('victim', version, 'destroyed');
      expect(await done).toBe(`done ${keyId}`);
      const file = JSON.parse(readFileSync(keyringPath, 'utf8')) as StoredFile;
      const destroyed = file.keys.victim?.versions.find((v) => v.version === version);
      if (file.keys[keyId] === undefined) lost.push(`round ${round}: key ${keyId} lost`);
      if (destroyed?.state !== 'destroyed' || destroyed.material !== undefined) {
        lost.push(`round ${round}: destroy of victim v${version} undone`);
      }
    }
    expect(lost).toEqual([]);
    expect((await admin.listKeys()).length).toBe(ROUNDS + 1);
  });
});
