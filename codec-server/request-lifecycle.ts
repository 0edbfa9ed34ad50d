import type { Response } from 'express';
import type { AuditLog } from './audit.js';
import type { RouteLabel, ServerMetrics } from './metrics.js';
import { startRequestContext, type RequestContext } from './request-context.js';

/** What {@link observeRequest} reports to. */
export interface LifecycleDeps {
  readonly metrics: ServerMetrics;
  readonly audit: AuditLog;
  readonly clock: () => number;
}

/**
 * Starts a request's context and, when the response closes (answered or aborted), records its metrics and, for
 * encode, decode and download, its audit line. Shared by the express app and the lean handler in front of it, so both count
 * and audit the same way.
 */
export function observeRequest(res: Response, route: RouteLabel, deps: LifecycleDeps): RequestContext {
  const context = startRequestContext(res, route, deps.clock());
  res.once('close', () => {
    const durationMs = deps.clock() - context.startedAt;
    const aborted = !res.writableFinished;
    deps.metrics.recordRequest(context.route, res.statusCode, durationMs / 1000);
    if (context.route === 'encode' || context.route === 'decode' || context.route === 'download') {
      deps.audit(context, res.statusCode, durationMs, aborted);
    }
  });
  return context;
}
