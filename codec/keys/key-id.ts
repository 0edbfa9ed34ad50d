import { CodecError, ERROR_CODES } from '../errors.js';

/** Longest namespace name accepted (Temporal's own limit is 255 bytes in practice). */
const MAX_NAMESPACE_LENGTH = 255;

/**
 * Checks that `namespace` is usable as a key id and as a Vault path segment: non-empty, at most 255 characters,
 * no control characters, no `/`, and not `.` or `..` (which would walk the path).
 */
export function assertNamespace(namespace: unknown): asserts namespace is string {
  if (
    typeof namespace !== 'string' ||
    namespace.length === 0 ||
    namespace.length > MAX_NAMESPACE_LENGTH ||
    namespace === '.' ||
    namespace === '..' ||
    /[\u0000-\u001f\u007f/\\]/.test(namespace)
  ) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'Invalid namespace name', { context: { field: 'namespace' } });
  }
}

/** The default key id of a namespace: the namespace name itself, validated. */
export function defaultKeyIdFor(namespace: string): string {
  assertNamespace(namespace);
  return namespace;
}
