import type { Response } from 'express';
import type { Identity } from './identity.js';
import type { RouteLabel } from './metrics.js';

/** One failed payload of a decode request: its position and the codec's error code. */
export interface DecodeFailure {
  readonly index: number;
  readonly code: string;
}

/**
 * What the middleware chain learns about one request, read at the end by the audit line and the metrics. Lives on
 * `res.locals`, so it dies with the response.
 */
export interface RequestContext {
  route: RouteLabel;
  /** Clock reading when the request arrived, in milliseconds. */
  readonly startedAt: number;
  identity?: Identity;
  namespace?: string;
  payloadCount?: number;
  /** `keyId:version` of every key version used, sorted, without duplicates. */
  keyVersions?: readonly string[];
  decodeFailures?: readonly DecodeFailure[];
  /** `bucket/key` of the external storage objects retrieved (capped), for the audit line. */
  storageObjects?: readonly string[];
  /** Code of the error the request ended with, if it did. */
  errorCode?: string;
}

const KEY = 'temporalCodecServer';

/** Creates the context of a new request. */
export function startRequestContext(res: Response, route: RouteLabel, startedAt: number): RequestContext {
  const context: RequestContext = { route, startedAt };
  res.locals[KEY] = context;
  return context;
}

/** The context of the request `res` answers. Precondition: {@link startRequestContext} ran first (in `createApp`). */
export function requestContext(res: Response): RequestContext {
  const context = res.locals[KEY] as RequestContext | undefined;
  if (context === undefined) throw new Error('request context missing: startRequestContext must run first');
  return context;
}
