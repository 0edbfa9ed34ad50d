import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The codec server's application, typed as a plain Node request handler so that the published types need nothing
 * beyond `@types/node`. It is an express application underneath, and works wherever one does:
 *
 * ```
 * http.createServer(app) / https.createServer(tlsOptions, app)     a server of its own
 * outer.use('/codec', app)                                         mounted in an express (or connect) application
 * request(app)                                                     driven by supertest in tests
 * ```
 *
 * Mounted, it answers every request that reaches it (unknown paths get its own 404 JSON), so `next` is only there
 * for the mounting application's signature.
 */
export type CodecServerApp = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;
