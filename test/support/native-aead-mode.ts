import { vi } from 'vitest';
import type * as NativeModule from '../../codec/aead/native.js';

// Set-up file of the `unit-node-crypto` project: the same unit tests, with the codec on node:crypto. The library has
// no switch for this (an engine is chosen and passed in); here the native module simply is not there, as on a machine
// without a C compiler, so `defaultAeadEngine()` is node:crypto and `loadAeadEngine('require')` refuses.
vi.mock('../../codec/aead/native.js', async (importOriginal) => ({
  ...(await importOriginal<typeof NativeModule>()),
  loadNativeModule: () => 'not loaded in the unit-node-crypto test project',
  nativeEngine: () => 'not loaded in the unit-node-crypto test project',
}));
