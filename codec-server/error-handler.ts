import type { ErrorRequestHandler, RequestHandler } from 'express';
import { CodecError, ERROR_CODES, type CodecErrorCode } from '../codec/index.js';
import { STORAGE_ERROR_CODES, StorageError, type StorageErrorCode } from '../codec/storage/index.js';
import { HttpError, SERVER_ERROR_CODES } from './http-error.js';
import type { ServerLogger } from './logger.js';
import { requestContext } from './request-context.js';
import { sendError } from './send-answer.js';

/**
 * The one place where failures become HTTP statuses. Codec errors keep their own code in the JSON body:
 *
 * - 400: the payload or request is at fault (tampered, unknown key or version, destroyed key, wrong namespace).
 * - 503: the key source is unreachable (`retryable`); the client should retry.
 * - 500: the server is misconfigured (Vault denies its token, bad key material, bad configuration).
 *
 * Storage errors keep their code too, see {@link statusOfStorageError}.
 */
const CODEC_STATUS: Readonly<Record<CodecErrorCode, number>> = {
  [ERROR_CODES.decryptionFailed]: 400,
  [ERROR_CODES.truncated]: 400,
  [ERROR_CODES.malformedMetadata]: 400,
  [ERROR_CODES.unsupportedFormat]: 400,
  [ERROR_CODES.unknownKey]: 400,
  [ERROR_CODES.unknownKeyVersion]: 400,
  [ERROR_CODES.keyVersionDestroyed]: 400,
  [ERROR_CODES.namespaceMismatch]: 400,
  [ERROR_CODES.unencryptedPayload]: 400,
  [ERROR_CODES.keyLookupLimit]: 400,
  [ERROR_CODES.invalidArgument]: 400,
  [ERROR_CODES.keySourceUnavailable]: 503,
  [ERROR_CODES.keySourceDenied]: 500,
  [ERROR_CODES.invalidKeyMaterial]: 500,
  [ERROR_CODES.invalidConfig]: 500,
  [ERROR_CODES.internal]: 500,
};

/**
 * External storage: 4xx when the reference or request is at fault (410 for an object that is gone: a 404 would read
 * as "this server has no /download"), 502 when the store answered wrongly or refused us, 503 (retryable) when it is
 * unreachable or timed out.
 */
const STORAGE_STATUS: Readonly<Record<StorageErrorCode, number>> = {
  [STORAGE_ERROR_CODES.notReference]: 400,
  [STORAGE_ERROR_CODES.malformedReference]: 400,
  [STORAGE_ERROR_CODES.foreignReference]: 400,
  [STORAGE_ERROR_CODES.notConfigured]: 400,
  [STORAGE_ERROR_CODES.tooManyReferences]: 413,
  [STORAGE_ERROR_CODES.blobTooLarge]: 413,
  [STORAGE_ERROR_CODES.objectNotFound]: 410,
  [STORAGE_ERROR_CODES.integrity]: 502,
  [STORAGE_ERROR_CODES.refused]: 502,
  [STORAGE_ERROR_CODES.unavailable]: 503,
};

/** The HTTP status a storage error maps to. */
export function statusOfStorageError(err: StorageError): number {
  return STORAGE_STATUS[err.code] ?? 502;
}

/** The HTTP status a codec error maps to. */
export function statusOfCodecError(err: CodecError): number {
  return err.retryable ? 503 : (CODEC_STATUS[err.code] ?? 500);
}

/**
 * True when a decode failure concerns that payload alone (a 4xx codec error): the server then answers the payload
 * unchanged and reports it in `X-Codec-Decode-Errors`. Otherwise (key source down or misconfigured) the whole
 * request fails, since every other encrypted payload would fail the same way.
 */
export function isPayloadFailure(err: CodecError): boolean {
  return statusOfCodecError(err) < 500;
}

/** What a request that failed is answered with. */
export interface ErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Errors of express's body parser (`http-errors` with a `type`). */
interface BodyParserError {
  readonly status?: number;
  readonly type?: string;
  readonly expose?: boolean;
  readonly message: string;
}

/** Maps anything thrown while handling a request to its answer. Messages never contain payload bytes or secrets. */
export function toErrorAnswer(err: unknown, limits: { readonly bodyBytes: number }): ErrorAnswer {
  if (err instanceof HttpError)
    return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  if (err instanceof StorageError) {
    // Messages name fields and limits, never object contents or credentials (the store's own text stays in `cause`).
    return { status: statusOfStorageError(err), code: err.code, message: err.message };
  }
  if (err instanceof CodecError) {
    const status = statusOfCodecError(err);
    // 4xx messages describe the client's payload; 5xx details (Vault paths, policies) stay in the server log.
    if (status < 500) return { status, code: err.code, message: err.message };
    const message =
      status === 503 ? 'the key source is unavailable; retry later' : 'the key source failed; see the server log';
    return { status, code: err.code, message };
  }
  const parserError = err as BodyParserError;
  if (typeof parserError === 'object' && parserError !== null && typeof parserError.status === 'number') {
    if (parserError.type === 'entity.too.large' || parserError.status === 413) {
      const message = `request body exceeds ${limits.bodyBytes} bytes (--body-limit)`;
      return { status: 413, code: SERVER_ERROR_CODES.payloadTooLarge, message };
    }
    if (parserError.type === 'entity.parse.failed') {
      return { status: 400, code: SERVER_ERROR_CODES.badRequest, message: 'request body is not valid JSON' };
    }
    if (parserError.status >= 400 && parserError.status < 500) {
      const message = parserError.expose === true ? parserError.message : 'malformed request';
      return { status: 400, code: SERVER_ERROR_CODES.badRequest, message };
    }
  }
  return { status: 500, code: SERVER_ERROR_CODES.internal, message: 'internal error; see the server log' };
}

/**
 * {@link toErrorAnswer}, and a 5xx is logged: codec and HTTP errors carry no secrets by contract; an unknown error is
 * logged by type, message and stack only.
 */
export function answerError(err: unknown, logger: ServerLogger, limits: { readonly bodyBytes: number }): ErrorAnswer {
  const answer = toErrorAnswer(err, limits);
  if (answer.status >= 500) {
    const detail =
      err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : { type: typeof err };
    logger.error({ err: detail, code: answer.code }, 'request failed');
  }
  return answer;
}

/**
 * Express error middleware: answers `{"error":{"code","message"}}` and records the code for audit and metrics.
 *
 * @internal Left out of the published types, which must not need express's.
 */
export function errorHandler(logger: ServerLogger, limits: { readonly bodyBytes: number }): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const answer = answerError(err, logger, limits);
    requestContext(res).errorCode = answer.code;
    sendError(res, answer);
  };
}

/**
 * The last route: 404 JSON for every path nothing else answered.
 *
 * @internal Left out of the published types, which must not need express's.
 */
export function notFound(): RequestHandler {
  return (req, _res, next) => {
    const path = req.path.length > 200 ? `${req.path.slice(0, 200)}...` : req.path;
    next(
      new HttpError(
        404,
        SERVER_ERROR_CODES.notFound,
        `no route for ${req.method} ${path}; use POST /encode, /decode or /download`,
      ),
    );
  };
}
