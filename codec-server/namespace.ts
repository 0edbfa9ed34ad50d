import { assertNamespace } from '../codec/index.js';
import type { ServerConfig } from './config-types.js';
import { HttpError, SERVER_ERROR_CODES, badRequest } from './http-error.js';

/**
 * The namespace a codec request is for: the `X-Namespace` header (the Web UI and the CLI always send it), else the
 * path segment before `/encode` or `/decode` (`/{namespace}/decode`), else the configured default.
 *
 * @throws HttpError 400 for a name that cannot be a namespace, 403 `ERR_NAMESPACE_NOT_ALLOWED` for one outside the
 *   `--namespaces` allow-list.
 */
export function resolveNamespace(
  headerValue: string | undefined,
  path: string,
  config: ServerConfig['namespaces'],
): string {
  const header = headerValue?.trim();
  const namespace = header !== undefined && header !== '' ? header : (fromPath(path) ?? config.default);
  try {
    assertNamespace(namespace);
  } catch {
    throw badRequest(`${JSON.stringify(namespace.slice(0, 300))} is not a valid namespace name`);
  }
  if (config.allowed !== undefined && !config.allowed.includes(namespace)) {
    throw new HttpError(
      403,
      SERVER_ERROR_CODES.namespaceNotAllowed,
      `namespace ${JSON.stringify(namespace)} is not served here (--namespaces)`,
    );
  }
  return namespace;
}

function fromPath(path: string): string | undefined {
  const segments = path.split('/').filter((segment) => segment.length > 0);
  // The last segment is the action; the one before it, if any, names the namespace.
  const segment = segments.length >= 2 ? segments[segments.length - 2] : undefined;
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('the namespace in the path is not valid percent-encoding');
  }
}
