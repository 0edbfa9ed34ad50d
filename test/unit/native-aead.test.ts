import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AeadEngine } from '../../codec/aead/engine.js';
import { loadNativeModule, type NativeAead, type NativeKeyHandle } from '../../codec/aead/native.js';
import { nodeCryptoEngine } from '../../codec/aead/node-crypto.js';
import { aeadBackend, defaultAeadEngine } from '../../codec/aead/select.js';
import {
  buildAad,
  deriveKey,
  openSealed,
  seal,
  sealedLength,
  zeroDerivedKey,
  type DerivedKey,
} from '../../codec/aes-gcm.js';
import { V1_LAYOUT } from '../../codec/types.js';

// The native module is built by `npm install` (and again by `npm test`); this suite fails when it is missing, unless
// it runs in the `unit-node-crypto` project, whose set-up hides the module.
const nativeExpected = process.env.TEST_NATIVE_AEAD !== 'off';
const rootKey = Buffer.alloc(32, 0x11);
const salt = Buffer.alloc(32, 0x22);
const aad = buildAad('binary/encrypted-v1', 'default', 'ns-default', 3);
const nonce = Buffer.from('000102030405060708090a0b', 'hex');
const nodeCrypto = nodeCryptoEngine();

/** The test key, derived with `engine` (default: the codecs' default engine). */
function derive(engine: AeadEngine = defaultAeadEngine()): DerivedKey {
  return deriveKey(rootKey, salt, 'ns-default', 3, engine);
}

function sealWith(key: DerivedKey, head: Buffer, body: Buffer): Buffer {
  const out = Buffer.alloc(sealedLength(head.length + body.length));
  head.copy(out, V1_LAYOUT.header);
  return seal(key, aad, out, head.length, body, nonce);
}

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('default AES-GCM engine', () => {
  it('is the native module built at install (node:crypto, saying why, when it is not there)', () => {
    expect(aeadBackend()).toEqual(
      nativeExpected ? { name: 'native' } : { name: 'node:crypto', reason: expect.any(String) as string },
    );
    const key = derive();
    expect(key.engine).toBe(defaultAeadEngine());
    expect(key.engine.name).toBe(nativeExpected ? 'native' : 'node:crypto');
    zeroDerivedKey(key);
  });
});

describe.runIf(nativeExpected)('native AES-GCM module', () => {
  const aead = loadNativeModule() as NativeAead;

  it.each([0, 1, 15, 16, 17, 255, 4096, 16 * 1024, 16 * 1024 + 1, 100_000])(
    'seals %i-byte bodies to the bytes node:crypto gives, and each opens the other',
    (bodyLength) => {
      const key = derive();
      const nodeKey = derive(nodeCrypto);
      for (const headLength of [0, 3, 40]) {
        const head = pattern(headLength, 7);
        const body = pattern(bodyLength, headLength);
        const native = sealWith(key, head, body);
        const reference = sealWith(nodeKey, head, body);
        expect(native.equals(reference)).toBe(true);
        const plaintext = Buffer.concat([head, body]);
        expect(openSealed(key, aad, reference).equals(plaintext)).toBe(true);
        expect(openSealed(nodeKey, aad, native).equals(plaintext)).toBe(true);
      }
      zeroDerivedKey(key);
      zeroDerivedKey(nodeKey);
    },
  );

  it('agrees with node:crypto on random keys, nonces, AAD, heads and bodies', () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
    const exact = (length: number) =>
      fc.uint8Array({ minLength: length, maxLength: length }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(exact(32), exact(12), bytes(100), bytes(64), bytes(5000), (key, iv, extraAad, head, body) => {
        const handle = aead.createKey(key);
        try {
          const out = Buffer.alloc(sealedLength(head.length + body.length));
          iv.copy(out, V1_LAYOUT.salt + V1_LAYOUT.commitment);
          head.copy(out, V1_LAYOUT.header);
          aead.seal(handle, out, head.length, body, extraAad);
          const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(extraAad);
          const expected = Buffer.concat([
            cipher.update(head),
            cipher.update(body),
            cipher.final(),
            cipher.getAuthTag(),
          ]);
          expect(out.subarray(V1_LAYOUT.header).equals(expected)).toBe(true);
          const opened = Buffer.alloc(head.length + body.length);
          expect(aead.open(handle, out, extraAad, opened)).toBe(true);
          expect(opened.equals(Buffer.concat([head, body]))).toBe(true);
        } finally {
          aead.disposeKey(handle);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every flipped bit after the commitment, and a wrong AAD, wiping what it wrote', () => {
    const key = derive();
    const sealed = sealWith(key, Buffer.from('head'), pattern(20, 1));
    const out = Buffer.alloc(sealed.length - V1_LAYOUT.minimum);
    const handle = aead.createKey(key.encryptionKey);
    for (let bit = (V1_LAYOUT.salt + V1_LAYOUT.commitment) * 8; bit < sealed.length * 8; bit++) {
      const forged = Buffer.from(sealed);
      forged[bit >> 3] = forged[bit >> 3]! ^ (1 << (bit & 7));
      out.fill(0xff);
      expect(aead.open(handle, forged, aad, out)).toBe(false);
      expect(out.every((byte) => byte === 0)).toBe(true);
    }
    expect(aead.open(handle, sealed, buildAad('binary/encrypted-v1', 'other', 'ns-default', 3), out)).toBe(false);
    expect(aead.open(handle, sealed, aad, out)).toBe(true);
    expect(key.cipher.open(sealed, buildAad('binary/encrypted-v1', 'other', 'ns-default', 3))).toBeUndefined();
    aead.disposeKey(handle);
    zeroDerivedKey(key);
  });

  it('reads plain Uint8Array views at any offset', () => {
    const key = derive();
    const sealed = sealWith(key, Buffer.alloc(0), pattern(50, 3));
    const backing = new Uint8Array(sealed.length + 10);
    backing.set(sealed, 7);
    const view = backing.subarray(7, 7 + sealed.length);
    const aadView = new Uint8Array(aad.length + 5);
    aadView.set(aad, 5);
    const out = new Uint8Array(50);
    const handle = aead.createKey(key.encryptionKey);
    expect(aead.open(handle, view, aadView.subarray(5), out)).toBe(true);
    expect(Buffer.from(out).equals(pattern(50, 3))).toBe(true);
    expect(key.cipher.open(view, aadView.subarray(5))?.equals(pattern(50, 3))).toBe(true);
    aead.disposeKey(handle);
    zeroDerivedKey(key);
  });

  it('refuses bad arguments with TypeError or RangeError, never reading out of bounds', () => {
    const key = derive();
    const handle = aead.createKey(key.encryptionKey);
    const sealed = sealWith(key, Buffer.alloc(0), pattern(10, 0));
    expect(() => aead.createKey(Buffer.alloc(31))).toThrow(RangeError);
    expect(() => aead.createKey('key' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => aead.createKey(new Uint16Array(16) as never)).toThrow(TypeError);
    expect(() => aead.open({} as NativeKeyHandle, sealed, aad, Buffer.alloc(10))).toThrow(TypeError);
    expect(() => aead.open(handle, sealed, aad, Buffer.alloc(11))).toThrow(RangeError);
    expect(() => aead.open(handle, sealed.subarray(0, V1_LAYOUT.minimum - 1), aad, Buffer.alloc(0))).toThrow(
      RangeError,
    );
    expect(() => aead.seal(handle, Buffer.alloc(V1_LAYOUT.minimum + 4), 5, Buffer.alloc(0), aad)).toThrow(RangeError);
    expect(() => aead.seal(handle, Buffer.alloc(V1_LAYOUT.minimum), 0, Buffer.alloc(1), aad)).toThrow(RangeError);
    for (const headLength of [-1, 0.5, Number.NaN, 2 ** 53])
      expect(() => aead.seal(handle, Buffer.alloc(V1_LAYOUT.minimum), headLength, Buffer.alloc(0), aad)).toThrow(
        RangeError,
      );
    const shared = Buffer.alloc(V1_LAYOUT.minimum + 40);
    expect(() =>
      aead.seal(handle, shared.subarray(0, V1_LAYOUT.minimum + 10), 0, shared.subarray(30, 40), aad),
    ).toThrow(TypeError);
    expect(() => aead.open(handle, sealed, aad, sealed.subarray(V1_LAYOUT.header, V1_LAYOUT.header + 10))).toThrow(
      TypeError,
    );
    expect(() => aead.seal(handle, Buffer.alloc(V1_LAYOUT.minimum), '0' as never, Buffer.alloc(0), aad)).toThrow(
      TypeError,
    );
    aead.disposeKey(handle);
    expect(() => aead.open(handle, sealed, aad, Buffer.alloc(10))).toThrow(/disposed/);
    zeroDerivedKey(key);
  });

  it('frees the contexts of handles left to the garbage collector', () => {
    const modulePath = new URL('../../native/build/aead.node', import.meta.url).pathname;
    // Without the finalizer, 400,000 OpenSSL GCM contexts would hold hundreds of MiB.
    // Finalizers run after a collection, once the event loop turns.
    const script = `
      const aead = require(${JSON.stringify(modulePath)});
      const key = Buffer.alloc(32, 1);
      const settle = () => new Promise((resolve) => setImmediate(resolve));
      const churn = async () => { for (let i = 0; i < 100000; i++) aead.createKey(key); global.gc(); await settle(); await settle(); };
      (async () => {
        await churn(); const before = process.memoryUsage().rss;
        for (let round = 0; round < 4; round++) await churn();
        console.log(Math.round((process.memoryUsage().rss - before) / 2 ** 20));
      })();`;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(Number(run.stdout.trim())).toBeLessThan(32);
  });
});
