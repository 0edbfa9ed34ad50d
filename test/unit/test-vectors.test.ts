import { readFileSync, writeFileSync } from 'node:fs';
import type { Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CodecError, EncryptionCodec, ERROR_CODES, type KeyProvider, type KeyReference } from '../../codec/index.js';
import { computeVector, VECTOR_INPUTS, vectorPayload, type Vector } from '../support/vectors.js';

// The published vectors are the wire-format contract. `UPDATE_VECTORS=1` rewrites them from the inputs: only ever
// for a new vector, since changing an existing one breaks every payload already written.
const vectorsUrl = new URL('../../docs/test-vectors.json', import.meta.url);
const specUrl = new URL('../../docs/wire-format.md', import.meta.url);
if (process.env.UPDATE_VECTORS === '1') {
  writeFileSync(
    vectorsUrl,
    `${JSON.stringify(
      VECTOR_INPUTS.map((input) => computeVector(input)),
      null,
      2,
    )}\n`,
  );
}
const published = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as Vector[];
const utf8 = new TextEncoder();

/** A provider that knows exactly one key version: the vector's. */
function vectorProvider(vector: Vector): KeyProvider {
  const material = (ref: KeyReference) => {
    if (ref.version !== vector.version) throw new CodecError(ERROR_CODES.unknownKeyVersion, 'Unknown key version');
    return { keyId: vector.keyId, version: vector.version, key: Buffer.from(vector.rootKeyHex, 'hex') };
  };
  return {
    keyIdFor: () => vector.keyId,
    encryptionKey: () => Promise.resolve(material(vector)),
    decryptionKey: (_ns, ref) => Promise.resolve(material(ref)),
    checkHealth: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

describe('wire format v1 test vectors (docs/test-vectors.json)', () => {
  it('publishes one vector per input', () => {
    expect(published.map((v) => v.name)).toEqual(VECTOR_INPUTS.map((v) => v.name));
  });

  it.each(published.map((v) => [v.name, v] as const))(
    '%s: the library computes the published bytes',
    (_name, vector) => {
      expect(computeVector(vector)).toEqual(vector);
    },
  );

  it.each(published.map((v) => [v.name, v] as const))(
    '%s: the codec decodes the published payload',
    async (_name, vector) => {
      const codec = new EncryptionCodec({ namespace: vector.namespace, keyProvider: vectorProvider(vector) });
      const encrypted: Payload = {
        metadata: Object.fromEntries(Object.entries(vector.expected.metadata).map(([k, v]) => [k, utf8.encode(v)])),
        data: Buffer.from(vector.expected.dataHex, 'hex'),
      };
      const [decoded] = await codec.decode([encrypted]);
      const original = vectorPayload(vector);
      expect(Buffer.from(decoded!.data ?? [])).toEqual(Buffer.from(original.data!));
      for (const [k, v] of Object.entries(original.metadata!))
        expect(Buffer.from(decoded!.metadata![k]!)).toEqual(Buffer.from(v));
    },
  );

  it('the spec quotes every published sealed payload verbatim', () => {
    const spec = readFileSync(specUrl, 'utf8').replace(/\s+/g, '');
    for (const vector of published) expect(spec).toContain(vector.expected.dataHex);
  });
});
