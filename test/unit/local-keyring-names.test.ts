import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { CachingKeyProvider, ERROR_CODES, LocalKeyring } from '../../codec/index.js';
import {
  createHarness,
  jsonPayloadJson,
  valueOfJsonPayload,
  type Harness,
} from '../../harness/codec-server-harness.js';

// Namespace names are user input, and the keyring file is a JSON object keyed by them. Names that are also the names
// of Object.prototype's members must be ordinary keys: no inherited lookups, no prototype changes.
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

function keyring() {
  const path = join(mkdtempSync(join(tmpdir(), 'keyring-names-')), 'keyring.json');
  return { path, store: new LocalKeyring({ path, warn: () => undefined }) };
}

const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((made) => made.close()));
});

describe('LocalKeyring: namespaces named like Object.prototype members', () => {
  it.each(NAMES)('creates, reads, rotates, lists and destroys the key of %j', async (name) => {
    const { path, store } = keyring();
    await expect(store.listVersions(name)).rejects.toMatchObject({ code: ERROR_CODES.unknownKey });
    await expect(store.readVersion(name, 1)).rejects.toMatchObject({ code: ERROR_CODES.unknownKey });
    const latest = await store.readLatest(name);
    expect(latest.version).toBe(1);
    expect(await store.rotateKey(name)).toMatchObject({ version: 2, state: 'active' });
    await expect(store.createKey(name)).rejects.toMatchObject({ code: ERROR_CODES.invalidArgument });
    await store.setVersionState(name, 1, 'destroyed');
    expect(await store.listKeys()).toEqual([name]);
    // A second instance reads the same from disk.
    const again = new LocalKeyring({ path, warn: () => undefined });
    expect((await again.listVersions(name)).map((v) => [v.version, v.state])).toEqual([
      [1, 'destroyed'],
      [2, 'active'],
    ]);
    await expect(again.readVersion(name, 1)).rejects.toMatchObject({ code: ERROR_CODES.keyVersionDestroyed });
    expect((await again.readVersion(name, 2)).equals((await store.readLatest(name)).key)).toBe(true);
    expect(Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { keys: object }).keys)).toEqual([name]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps every such name apart in one file', async () => {
    const { store } = keyring();
    const keys = await Promise.all(NAMES.map(async (name) => (await store.readLatest(name)).key.toString('hex')));
    expect(new Set(keys).size).toBe(NAMES.length);
    expect((await store.listKeys()).sort()).toEqual([...NAMES].sort());
  });

  it('refuses a keyring file whose keys field is not an object', async () => {
    const { path, store } = keyring();
    await store.createKey('default');
    writeFileSync(path, JSON.stringify({ format: 'temporal-vault-codec-keyring/v1', keys: [] }));
    await expect(store.listKeys()).rejects.toMatchObject({ code: ERROR_CODES.invalidConfig });
  });
});

describe('codec server on the local keyring: namespaces named like Object.prototype members', () => {
  it.each(NAMES)('encodes and decodes in namespace %j', async (name) => {
    const { store } = keyring();
    const made = createHarness({ provider: new CachingKeyProvider(store) });
    harnesses.push(made);
    const post = (path: string, payloads: unknown[]) =>
      request(made.app).post(path).set('Content-Type', 'application/json').set('X-Namespace', name).send({ payloads });
    const encoded = await post('/encode', [jsonPayloadJson('hello')]);
    expect(encoded.status).toBe(200);
    const decoded = await post('/decode', (encoded.body as { payloads: unknown[] }).payloads);
    expect(decoded.status).toBe(200);
    expect(valueOfJsonPayload((decoded.body as { payloads: Array<{ data?: string }> }).payloads[0])).toBe('hello');
  });
});
