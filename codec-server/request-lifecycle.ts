import type { ServerResponse } from 'node:http';
import type { AuditLog } from './audit.js';
import type { RouteLabel, ServerMetrics } from './metrics.js';
import { requestContext, startRequestContext, type RequestContext } from './request-context.js';

/** What {@link observeRequest} reports to. */
export interface LifecycleDeps {
  readonly metrics: ServerMetrics;
  readonly audit: AuditLog;
  readonly clock: () => number;
}

/** Starts a request's context and reports it when the response closes; see {@link requestObserver}. */
export type ObserveRequest = (res: ServerResponse, route: RouteLabel) => RequestContext;

/**
 * Starts a request's context and, when the response closes (answered or aborted), records its metrics and, for
 * encode, decode and download, its audit line. Shared by the express app and the lean handler in front of it, so
 * both count and audit the same way. One `close` listener serves every response (no closure per request).
 */
export function requestObserver(deps: LifecycleDeps): ObserveRequest {
  const { metrics, audit, clock } = deps;
  function onClose(this: ServerResponse): void {
    const context = requestContext(this);
    const durationMs = clock() - context.startedAt;
    const aborted = !this.writableFinished;
    metrics.recordRequest(context.route, this.statusCode, durationMs / 1000);
    if (context.route === 'encode' || context.route === 'decode' || context.route === 'download') {
      audit(context, this.statusCode, durationMs, aborted);
    }
  }
  return (res, route) => {
    const context = startRequestContext(res, route, clock());
    res.on('close', onClose);
    return context;
  };
}
