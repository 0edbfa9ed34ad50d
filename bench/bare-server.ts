import { createServer } from 'node:http';
import type { Payload } from '@temporalio/common';
import { CachingKeyProvider, EncryptionCodec, LocalKeyring, loadAeadEngine } from '../codec/index.js';

// The ceiling Node itself sets: a bare node:http server that parses the same JSON, runs the same EncryptionCodec over
// the same keyring and answers; no auth, CORS, limits, metrics or logs. `node bare-server.js <port> <keyring> <aead>`.

type JsonPayload = { metadata?: Record<string, string>; data?: string };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const [port, path, aead] = process.argv.slice(2) as [string, string, 'auto' | 'off' | 'require'];
const keyProvider = new CachingKeyProvider(new LocalKeyring({ path, warn: () => undefined }));
const codec = new EncryptionCodec({ namespace: 'default', keyProvider, aead: loadAeadEngine(aead) });
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const action = req.url?.endsWith('/encode') ? 'encode' : 'decode';
    let input: Payload[];
    try {
      const { payloads } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads: JsonPayload[] };
      input = payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data ?? '', 'base64'),
      }));
    } catch {
      res.writeHead(400).end();
      return;
    }
    codec[action](input).then(
      (out) => {
        const body = JSON.stringify({
          payloads: out.map((p) => ({
            metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
            data: b64(p.data!),
          })),
        });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
      },
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
}).listen(Number(port), '127.0.0.1');
