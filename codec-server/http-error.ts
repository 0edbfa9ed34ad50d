/**
 * Error codes the codec server itself answers with, next to the codec's own `ERR_...` codes (which it passes through
 * when a codec operation fails). Public API: they appear in `{"error":{"code"}}` bodies and in the README.
 */
export const SERVER_ERROR_CODES = {
  /** The request body or a header is malformed (bad JSON, wrong shape, invalid base64, bad namespace name). */
  badRequest: 'ERR_BAD_REQUEST',
  /** No bearer token, or one that does not verify (wrong, expired, wrong issuer or audience). */
  unauthorized: 'ERR_UNAUTHORIZED',
  /** The caller is authenticated but has no permission for this namespace and operation. */
  forbidden: 'ERR_FORBIDDEN',
  /** A POST from a browser origin that is not on the CORS allow-list (`--cors-origins`), whatever the auth mode. */
  originNotAllowed: 'ERR_ORIGIN_NOT_ALLOWED',
  /** The `Host` header names neither this loopback-bound server nor an entry of `--allowed-hosts` (DNS rebinding). */
  hostNotAllowed: 'ERR_HOST_NOT_ALLOWED',
  /** An encode or decode body not sent as `Content-Type: application/json`. */
  unsupportedMediaType: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  /** The namespace is not in the server's `--namespaces` allow-list. */
  namespaceNotAllowed: 'ERR_NAMESPACE_NOT_ALLOWED',
  /** No such route. */
  notFound: 'ERR_NOT_FOUND',
  /** The route exists but only answers POST. */
  methodNotAllowed: 'ERR_METHOD_NOT_ALLOWED',
  /** The body is larger than `--body-limit`. */
  payloadTooLarge: 'ERR_PAYLOAD_TOO_LARGE',
  /** The request carries more payloads than `--max-payloads`. */
  tooManyPayloads: 'ERR_TOO_MANY_PAYLOADS',
  /** The request did not finish within `--request-timeout-ms`; retrying may succeed. */
  timeout: 'ERR_TIMEOUT',
  /** The server is shutting down or its key source is not ready. */
  unavailable: 'ERR_UNAVAILABLE',
  /** A bug or an unexpected failure; details are in the server log only. */
  internal: 'ERR_INTERNAL',
} as const;

/** Union of the server's own error codes. */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[keyof typeof SERVER_ERROR_CODES];

/**
 * Thrown by routes and middleware when a request must end with a given status. The error handler turns it into the
 * JSON error body; `message` is sent to the client, so it must never contain payload bytes, tokens or keys.
 */
export class HttpError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  /** Stable code for the JSON body. */
  readonly code: ServerErrorCode;
  /** Extra response headers (e.g. `WWW-Authenticate`, `Allow`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: ServerErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = Object.freeze({ ...headers });
  }
}

/** Shorthand for a 400 `ERR_BAD_REQUEST` naming what is wrong. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, SERVER_ERROR_CODES.badRequest, message);
}
