import type { KeyScope } from '../../codec/index.js';

/** The key scope a codec builds for `namespace` when the provider maps it to `keyId` (the namespace by default). */
export function scope(namespace: string, keyId: string = namespace): KeyScope {
  return { namespace, keyId };
}
