import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildAad,
  deriveKey,
  openSealed,
  seal,
  sealedLength,
  zeroDerivedKey,
  type DerivedKey,
} from '../../codec/aes-gcm.js';
import {
  aeadBackend,
  configureNativeAead,
  nativeAead,
  type NativeAead,
  type NativeAeadMode,
  type NativeKeyHandle,
} from '../../codec/native-aead.js';
import { V1_LAYOUT } from '../../codec/types.js';
import { computeVector, type Vector } from '../support/vectors.js';

// The native module is built by `npm install` (and again by `npm test`); this suite fails when it is missing, unless
// it runs in the `unit-node-crypto` project, whose set-up turns the module off.
const nativeExpected = process.env.TEST_NATIVE_AEAD !== 'off';
const rootKey = Buffer.alloc(32, 0x11);
const salt = Buffer.alloc(32, 0x22);
const aad = buildAad('binary/encrypted-v1', 'default', 'ns-default', 3);
const nonce = Buffer.from('000102030405060708090a0b', 'hex');
const published = JSON.parse(
  readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'),
) as Vector[];

/** The same key with no native handle: seal and open take the node:crypto path. */
function nodeCryptoKey(key: DerivedKey): DerivedKey {
  return { ...key, native: undefined };
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

describe('AES-GCM backend', () => {
  it('is the native module built at install (node:crypto when turned off)', () => {
    expect(aeadBackend()).toEqual(nativeExpected ? { name: 'native' } : { name: 'node:crypto', reason: 'turned off' });
    expect(deriveKey(rootKey, salt, 'ns-default', 3).native === undefined).toBe(!nativeExpected);
  });
});

describe.runIf(nativeExpected)('native AES-GCM module', () => {
  const aead = nativeAead() as NativeAead;

  it.each([0, 1, 15, 16, 17, 255, 4096, 16 * 1024, 16 * 1024 + 1, 100_000])(
    'seals %i-byte bodies to the bytes node:crypto gives, and each opens the other',
    (bodyLength) => {
      const key = deriveKey(rootKey, salt, 'ns-default', 3);
      for (const headLength of [0, 3, 40]) {
        const head = pattern(headLength, 7);
        const body = pattern(bodyLength, headLength);
        const native = sealWith(key, head, body);
        const reference = sealWith(nodeCryptoKey(key), head, body);
        expect(native.equals(reference)).toBe(true);
        const plaintext = Buffer.concat([head, body]);
        expect(openSealed(key, aad, reference).equals(plaintext)).toBe(true);
        expect(openSealed(nodeCryptoKey(key), aad, native).equals(plaintext)).toBe(true);
      }
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
    const key = deriveKey(rootKey, salt, 'ns-default', 3);
    const sealed = sealWith(key, Buffer.from('head'), pattern(20, 1));
    const out = Buffer.alloc(sealed.length - V1_LAYOUT.minimum);
    const handle = key.native as NativeKeyHandle;
    for (let bit = (V1_LAYOUT.salt + V1_LAYOUT.commitment) * 8; bit < sealed.length * 8; bit++) {
      const forged = Buffer.from(sealed);
      forged[bit >> 3] = forged[bit >> 3]! ^ (1 << (bit & 7));
      out.fill(0xff);
      expect(aead.open(handle, forged, aad, out)).toBe(false);
      expect(out.every((byte) => byte === 0)).toBe(true);
    }
    expect(aead.open(handle, sealed, buildAad('binary/encrypted-v1', 'other', 'ns-default', 3), out)).toBe(false);
    expect(aead.open(handle, sealed, aad, out)).toBe(true);
  });

  it('reads plain Uint8Array views at any offset', () => {
    const key = deriveKey(rootKey, salt, 'ns-default', 3);
    const sealed = sealWith(key, Buffer.alloc(0), pattern(50, 3));
    const backing = new Uint8Array(sealed.length + 10);
    backing.set(sealed, 7);
    const view = backing.subarray(7, 7 + sealed.length);
    const aadView = new Uint8Array(aad.length + 5);
    aadView.set(aad, 5);
    const out = new Uint8Array(50);
    expect(aead.open(key.native as NativeKeyHandle, view, aadView.subarray(5), out)).toBe(true);
    expect(Buffer.from(out).equals(pattern(50, 3))).toBe(true);
  });

  it('refuses bad arguments with TypeError or RangeError, never reading out of bounds', () => {
    const key = deriveKey(rootKey, salt, 'ns-default', 3);
    const handle = key.native as NativeKeyHandle;
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
  });

  it('throws after zeroDerivedKey instead of sealing or opening with a wiped key', () => {
    const key = deriveKey(rootKey, salt, 'ns-default', 3);
    const sealed = sealWith(key, Buffer.alloc(0), pattern(10, 0));
    zeroDerivedKey(key);
    expect(() => sealWith(key, Buffer.alloc(0), pattern(10, 0))).toThrow(/disposed/);
    const handle = key.native as NativeKeyHandle;
    expect(() => aead.open(handle, sealed, aad, Buffer.alloc(10))).toThrow(/disposed/);
    // The commitment was wiped too, so the codec's own path fails before reaching the module.
    expect(() => openSealed(key, aad, sealed)).toThrow('Decryption failed');
    expect(() => zeroDerivedKey(key)).not.toThrow();
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

describe('configureNativeAead', () => {
  const initial = aeadBackend().name === 'native' ? 'auto' : 'off';
  afterEach(() => {
    configureNativeAead(initial);
  });

  it('off: new keys use node:crypto, and every published test vector still matches', () => {
    expect(configureNativeAead('off')).toEqual({ name: 'node:crypto', reason: 'turned off' });
    expect(deriveKey(rootKey, salt, 'ns-default', 3).native).toBeUndefined();
    for (const vector of published) expect(computeVector(vector)).toEqual(vector);
  });

  it('keys derived before a switch keep working, with the same bytes', () => {
    const before = deriveKey(rootKey, salt, 'ns-default', 3);
    const sealed = sealWith(before, Buffer.from('hd'), pattern(300, 9));
    configureNativeAead(nativeExpected ? 'off' : 'auto');
    const after = deriveKey(rootKey, salt, 'ns-default', 3);
    expect(sealWith(after, Buffer.from('hd'), pattern(300, 9)).equals(sealed)).toBe(true);
    expect(openSealed(before, aad, sealed).equals(Buffer.concat([Buffer.from('hd'), pattern(300, 9)]))).toBe(true);
    zeroDerivedKey(before);
    zeroDerivedKey(after);
  });

  it.runIf(nativeExpected)('require: the native module, checked', () => {
    expect(configureNativeAead('require')).toEqual({ name: 'native' });
  });

  it('refuses an unknown mode with ERR_INVALID_CONFIG, keeping the current one', () => {
    const current = aeadBackend();
    expect(() => configureNativeAead('yes' as NativeAeadMode)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }) as Error,
    );
    expect(aeadBackend()).toEqual(current);
  });
});
