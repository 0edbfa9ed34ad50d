import type { ServerResponse } from 'node:http';
import type { Identity } from './identity.js';
import type { RouteLabel } from './metrics.js';

/** One failed payload of a decode request: its position and the codec's error code. */
export interface DecodeFailure {
  readonly index: number;
  readonly code: string;
}

/**
 * What the middleware chain learns about one request, read at the end by the audit line and the metrics. Lives on
 * the response object (under a symbol of this module), so it dies with the response.
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

const KEY = Symbol('temporalCodecServer.requestContext');

type WithContext = ServerResponse & { [KEY]?: RequestContext };

/** Creates the context of a new request. */
export function startRequestContext(res: ServerResponse, route: RouteLabel, startedAt: number): RequestContext {
  const context: RequestContext = { route, startedAt };
  (res as WithContext)[KEY] = context;
  return context;
}

/** The context of the request `res` answers. Precondition: {@link startRequestContext} ran first (in `createApp`). */
export function requestContext(res: ServerResponse): RequestContext {
  const context = (res as WithContext)[KEY];
  if (context === undefined) throw new Error('request context missing: startRequestContext must run first');
  return context;
}
