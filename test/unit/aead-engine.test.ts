import { readFileSync } from 'node:fs';
import type { Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  aeadBackend,
  CachingKeyProvider,
  defaultAeadEngine,
  EncryptionCodec,
  loadAeadEngine,
  MemoryKeyStore,
  MultiNamespaceCodec,
  type AeadEngine,
  type NativeAeadMode,
} from '../../codec/index.js';
import { buildAad, deriveKey, openSealed, seal, sealedLength, zeroDerivedKey } from '../../codec/aes-gcm.js';
import { V1_LAYOUT } from '../../codec/types.js';
import { computeVector, type Vector } from '../support/vectors.js';

// Runs in both unit projects: with the native module (`unit`) and with it hidden (`unit-node-crypto`).
const nativeExpected = process.env.TEST_NATIVE_AEAD !== 'off';
// The positive vectors (the file also holds Transit and negative ones, told apart by `kind`).
const published = (
  JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8')) as Array<{ kind: string }>
).filter((v): v is Vector => v.kind === 'positive');
const rootKey = Buffer.alloc(32, 0x11);
const salt = Buffer.alloc(32, 0x22);
const aad = buildAad('binary/encrypted-v1', 'default', 'ns-default', 3);
const nonce = Buffer.from('000102030405060708090a0b', 'hex');
const invalidConfig = expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }) as Error;

/** Both engines this machine offers: node:crypto, and what `auto` gives (the native module when it is there). */
function engines(): AeadEngine[] {
  return [loadAeadEngine('off'), loadAeadEngine('auto')];
}

function sealWith(engine: AeadEngine, head: Buffer, body: Buffer): Buffer {
  const key = deriveKey(rootKey, salt, 'ns-default', 3, engine);
  const out = Buffer.alloc(sealedLength(head.length + body.length));
  head.copy(out, V1_LAYOUT.header);
  seal(key, aad, out, head.length, body, nonce);
  zeroDerivedKey(key);
  return out;
}

/** An engine that counts the keys it makes, to see which engine a codec used. */
function counting(engine: AeadEngine): AeadEngine & { readonly keys: number } {
  let keys = 0;
  return {
    name: engine.name,
    get keys() {
      return keys;
    },
    createKey: (encryptionKey) => {
      keys++;
      return engine.createKey(encryptionKey);
    },
  };
}

function provider(): CachingKeyProvider {
  const store = new MemoryKeyStore();
  store.rotate('orders');
  return new CachingKeyProvider(store);
}

describe('loadAeadEngine', () => {
  it('off: node:crypto, saying it was turned off', () => {
    expect(loadAeadEngine('off')).toMatchObject({ name: 'node:crypto', reason: 'turned off' });
  });

  it('auto: the native module when usable, else node:crypto saying why; the default engine is auto', () => {
    const auto = loadAeadEngine('auto');
    expect(auto.name).toBe(nativeExpected ? 'native' : 'node:crypto');
    expect(auto.reason === undefined).toBe(nativeExpected);
    expect(aeadBackend()).toEqual(
      auto.reason === undefined ? { name: auto.name } : { name: auto.name, reason: auto.reason },
    );
    expect(defaultAeadEngine()).toBe(defaultAeadEngine());
  });

  it.runIf(nativeExpected)('require: the native module, checked', () => {
    expect(loadAeadEngine('require').name).toBe('native');
  });

  it.runIf(!nativeExpected)('require without a usable module: ERR_INVALID_CONFIG', () => {
    expect(() => loadAeadEngine('require')).toThrow(invalidConfig);
  });

  it('refuses an unknown mode with ERR_INVALID_CONFIG, leaving the default engine as it was', () => {
    const before = aeadBackend();
    expect(() => loadAeadEngine('yes' as NativeAeadMode)).toThrow(invalidConfig);
    expect(aeadBackend()).toEqual(before);
  });
});

describe('AES-GCM engines', () => {
  it('seal the same bytes, and each opens what the other sealed', () => {
    const [first, second] = engines() as [AeadEngine, AeadEngine];
    for (const [head, body] of [
      [Buffer.alloc(0), Buffer.alloc(0)],
      [Buffer.from('hd'), Buffer.alloc(300, 9)],
      [Buffer.alloc(40, 1), Buffer.alloc(16 * 1024 + 1, 2)],
    ] as const) {
      const sealed = sealWith(first, head, body);
      expect(sealWith(second, head, body).equals(sealed)).toBe(true);
      for (const engine of [first, second]) {
        const key = deriveKey(rootKey, salt, 'ns-default', 3, engine);
        expect(openSealed(key, aad, sealWith(engine === first ? second : first, head, body))).toEqual(
          Buffer.concat([head, body]),
        );
        zeroDerivedKey(key);
      }
    }
  });

  it('compute every published test vector', () => {
    for (const engine of engines())
      for (const vector of published) expect(computeVector(vector, engine)).toEqual(vector);
  });

  it.each(engines().map((engine) => [engine.name, engine] as const))(
    '%s: a zeroed key throws instead of sealing or opening with wiped bytes, and zeroing twice is harmless',
    (_name, engine) => {
      const key = deriveKey(rootKey, salt, 'ns-default', 3, engine);
      const out = Buffer.alloc(sealedLength(10));
      seal(key, aad, out, 0, Buffer.alloc(10, 1), nonce);
      zeroDerivedKey(key);
      expect(() => seal(key, aad, Buffer.alloc(sealedLength(10)), 0, Buffer.alloc(10, 1), nonce)).toThrow(/disposed/);
      expect(() => key.cipher.open(out, aad)).toThrow(/disposed/);
      // The commitment was wiped too, so the codec's own path fails before reaching the engine.
      expect(() => openSealed(key, aad, out)).toThrow(expect.objectContaining({ code: 'ERR_DECRYPTION_FAILED' }));
      expect(() => zeroDerivedKey(key)).not.toThrow();
    },
  );
});

describe('the aead option of the codecs', () => {
  const payload: Payload = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.from('hi') };

  it('seals and opens with the engine it is given, and codecs on either engine read each other', async () => {
    const keys = provider();
    const [nodeCrypto, auto] = engines().map(counting) as [ReturnType<typeof counting>, ReturnType<typeof counting>];
    const a = new EncryptionCodec({ namespace: 'orders', keyProvider: keys, aead: nodeCrypto });
    const b = new MultiNamespaceCodec({ defaultNamespace: 'orders', keyProvider: keys, aead: auto });
    const [fromA] = await a.encode([payload]);
    const [fromB] = await b.encode([payload]);
    // The sealing key, and its copy kept for decoding, both come from the codec's engine.
    expect([nodeCrypto.keys, auto.keys]).toEqual([2, 2]);
    expect(Buffer.from((await b.decode([fromA!]))[0]!.data!).toString()).toBe('hi');
    expect(Buffer.from((await a.decode([fromB!]))[0]!.data!).toString()).toBe('hi');
    expect([nodeCrypto.keys, auto.keys]).toEqual([3, 3]);
    a.close();
    b.close();
    await keys.close();
  });

  it('refuses an aead option that is not an engine with ERR_INVALID_CONFIG', async () => {
    const keys = provider();
    expect(
      () => new EncryptionCodec({ namespace: 'orders', keyProvider: keys, aead: {} as unknown as AeadEngine }),
    ).toThrow(invalidConfig);
    await keys.close();
  });
});
