import type { ServerResponse } from 'node:http';
import type { HeaderPairs } from './cors.js';
import type { ErrorAnswer } from './error-handler.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const NONE: HeaderPairs = Object.freeze([]);

/**
 * Writes a JSON answer in one `writeHead` and one `end`: the `leading` headers (CORS, when the caller has not set
 * them on the response already), the answer's own, the content type and length. Headers set earlier with
 * `setHeader` (the express path) are kept.
 */
export function sendAnswer(
  res: ServerResponse,
  status: number,
  headers: HeaderPairs,
  body: string | Buffer,
  leading: HeaderPairs = NONE,
): void {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const all = [...leading, ...headers, 'Content-Type', JSON_TYPE, 'Content-Length', String(size)];
  res.writeHead(status, all);
  res.end(body);
}

/** Writes an error answer: `{"error":{"code","message"}}` with the error's own headers (`WWW-Authenticate`, `Allow`). */
export function sendError(res: ServerResponse, answer: ErrorAnswer, leading: HeaderPairs = NONE): void {
  const headers = answer.headers === undefined ? NONE : Object.entries(answer.headers).flat();
  const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
  sendAnswer(res, answer.status, headers, body, leading);
}
