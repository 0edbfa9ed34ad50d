import { configureNativeAead, type NativeAeadMode } from '../../codec/index.js';

// Set-up file of the `unit-node-crypto` project: the same unit tests, with the codec on node:crypto.
configureNativeAead((process.env.TEST_NATIVE_AEAD ?? 'auto') as NativeAeadMode);
