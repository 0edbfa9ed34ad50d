import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { buildPublishedVectors, type PublishedVector } from '../support/vector-file.js';
import type { NegativeVector } from '../support/negative-vectors.js';
import { computeTransitVector, type TransitVector } from '../support/transit-vectors.js';
import { vectorCodec } from '../support/vector-providers.js';
import { computeVector, VECTOR_INPUTS, vectorPayload, type Vector } from '../support/vectors.js';

// The published vectors are the wire-format contract, read table-driven by other implementations. `UPDATE_VECTORS=1`
// rewrites them from the generators: only ever to add vectors, since changing an existing one breaks every payload
// already written (and every port's table).
const vectorsUrl = new URL('../../docs/test-vectors.json', import.meta.url);
const specUrl = new URL('../../docs/wire-format.md', import.meta.url);
const render = (vectors: readonly PublishedVector[]) => `${JSON.stringify(vectors, null, 2)}\n`;
if (process.env.UPDATE_VECTORS === '1') writeFileSync(vectorsUrl, render(buildPublishedVectors()));
const fileText = readFileSync(vectorsUrl, 'utf8');
const published = JSON.parse(fileText) as PublishedVector[];
const positive = published.filter((v): v is Vector => v.kind === 'positive');
const transit = published.filter((v): v is TransitVector => v.kind === 'transit');
const negative = published.filter((v): v is NegativeVector => v.kind === 'negative');
const utf8 = new TextEncoder();

function textMetadata(metadata: Readonly<Record<string, string>>): Record<string, Uint8Array> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, utf8.encode(v)]));
}

function sealedPayload(vector: Vector | TransitVector): Payload {
  return { metadata: textMetadata(vector.expected.metadata), data: Buffer.from(vector.expected.dataHex, 'hex') };
}

function expectOriginal(decoded: Payload | undefined, vector: Vector | TransitVector): void {
  const original = vectorPayload(vector);
  expect(Buffer.from(decoded!.data ?? [])).toEqual(Buffer.from(original.data!));
  expect(Object.keys(decoded!.metadata!)).toEqual(Object.keys(original.metadata!));
  for (const [k, v] of Object.entries(original.metadata!))
    expect(Buffer.from(decoded!.metadata![k]!)).toEqual(Buffer.from(v));
  const sizes = (decoded!.externalPayloads ?? []).map((d) => String(d.sizeBytes ?? 0));
  expect(sizes).toEqual((vector.payload.externalPayloads ?? []).map((d) => d.sizeBytes));
}

describe('wire format v1 test vectors (docs/test-vectors.json)', () => {
  it('the file is exactly what the deterministic generators write, kinds in order', () => {
    expect(fileText).toBe(render(buildPublishedVectors()));
    expect(published.map((v) => v.kind)).toEqual([
      ...positive.map(() => 'positive'),
      ...transit.map(() => 'transit'),
      ...negative.map(() => 'negative'),
    ]);
    expect(positive.map((v) => v.name)).toEqual(VECTOR_INPUTS.map((v) => v.name));
    expect(new Set(published.map((v) => v.name)).size).toBe(published.length);
  });

  it.each(positive.map((v) => [v.name, v] as const))('%s: the library computes the published bytes', (_n, vector) => {
    expect(computeVector(vector)).toEqual(vector);
  });

  it.each(positive.map((v) => [v.name, v] as const))('%s: the codec decodes the published payload', async (_n, v) => {
    const { codec, close } = vectorCodec({
      namespace: v.namespace,
      keyId: v.keyId,
      keys: { [v.version]: v.rootKeyHex },
    });
    const [decoded] = await codec.decode([sealedPayload(v)]);
    expectOriginal(decoded, v);
    await close();
  });

  it('the spec quotes every published sealed payload verbatim', () => {
    const spec = readFileSync(specUrl, 'utf8').replace(/\s+/g, '');
    for (const vector of [...positive, ...transit]) expect(spec).toContain(vector.expected.dataHex);
  });
});

describe('Transit envelope vectors', () => {
  it.each(transit.map((v) => [v.name, v] as const))('%s: the library computes the published bytes', (_n, vector) => {
    const { transitKeyName: _k, derivationContext: _c, expected: _e, ...input } = vector;
    expect(computeTransitVector(input)).toEqual(vector);
  });

  it.each(transit.map((v) => [v.name, v] as const))(
    '%s: the Transit provider unwraps the wrapped key on the named Transit key with base64(namespace) as context',
    async (_n, vector) => {
      const {
        codec,
        transit: vault,
        close,
      } = vectorCodec({ ...vector, wrappedKeys: { [vector.wrappedKey]: vector.dataKeyHex } });
      const [decoded] = await codec.decode([sealedPayload(vector)]);
      expectOriginal(decoded, vector);
      expect(vault!.calls).toEqual([`POST /transit/decrypt/${vector.transitKeyName}`]);
      await close();
    },
  );

  it.each(transit.map((v) => [v.name, v] as const))(
    '%s: encoding with the data key Transit returns writes the published metadata',
    async (_n, vector) => {
      const {
        codec,
        transit: vault,
        close,
      } = vectorCodec({ ...vector, wrappedKeys: { [vector.wrappedKey]: vector.dataKeyHex } });
      const [sealed] = await codec.encode([vectorPayload(vector)]);
      const metadata = Object.fromEntries(
        Object.entries(sealed!.metadata!).map(([k, b]) => [k, Buffer.from(b).toString()]),
      );
      expect(metadata).toEqual(vector.expected.metadata);
      expect(sealed!.data!.length).toBe(vector.expected.dataHex.length / 2);
      expect(vault!.calls).toEqual([`POST /transit/datakey/plaintext/${vector.transitKeyName}`]);
      await close();
    },
  );
});

describe('negative vectors: each payload fails with the published code', () => {
  it.each(negative.map((v) => [v.name, v.expectedError, v] as const))('%s -> %s', async (_n, expectedError, vector) => {
    const { codec, transit: vault, close } = vectorCodec(vector);
    const metadata = textMetadata(vector.input.metadata);
    for (const [k, hex] of Object.entries(vector.input.metadataHex ?? {})) metadata[k] = Buffer.from(hex, 'hex');
    const payload: Payload = { metadata, data: Buffer.from(vector.input.dataHex, 'hex') };
    await expect(codec.decode([payload])).rejects.toMatchObject({ name: 'CodecError', code: expectedError });
    const [settled] = await codec.decodeSettled([payload]);
    expect(settled).toMatchObject({ ok: false, error: { code: expectedError } });
    // A Transit payload whose metadata is refused never reaches Vault.
    if (vault !== undefined && expectedError === 'ERR_MALFORMED_METADATA') expect(vault.calls).toEqual([]);
    await close();
  });

  // The independent implementation needs python3 with the `cryptography` package; without it the check is skipped.
  const verifier = fileURLToPath(new URL('../../docs/verify_vectors.py', import.meta.url));
  const hasPython = spawnSync('python3', ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasPython)('the independent Python implementation agrees on every vector', () => {
    const run = spawnSync('python3', [verifier], { encoding: 'utf8' });
    expect(run.stdout.trim().split('\n')).toHaveLength(published.length);
    expect(run.stdout).not.toContain('FAIL');
    expect(run.status).toBe(0);
  });

  it('covers every code the format itself can produce', () => {
    expect(new Set(negative.map((v) => v.expectedError))).toEqual(
      new Set([
        'ERR_DECRYPTION_FAILED',
        'ERR_PAYLOAD_TRUNCATED',
        'ERR_MALFORMED_METADATA',
        'ERR_UNSUPPORTED_FORMAT',
        'ERR_NAMESPACE_MISMATCH',
        'ERR_UNKNOWN_KEY_VERSION',
        'ERR_UNENCRYPTED_PAYLOAD',
      ]),
    );
  });
});
