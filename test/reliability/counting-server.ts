/**
 * A local HTTP server for the chaos test: counts requests per Idempotency-Key and applies each
 * key's side effect once (a PUT with a key it has seen is answered from the first result).
 * `GET /counts` returns `{ <key>: requests }`, the format `statepipe chaos --counts-url` reads.
 */
import { createServer, type Server } from 'node:http';

export interface CountingServer {
  url: string;
  /** Requests seen per Idempotency-Key. */
  counts: Map<string, number>;
  /** Side effects applied per key (dedup makes it 1). */
  applied: Map<string, number>;
  /** Requests that came without a key. */
  unkeyed: number;
  close(): Promise<void>;
}

export async function startCountingServer(): Promise<CountingServer> {
  const counts = new Map<string, number>();
  const applied = new Map<string, number>();
  const results = new Map<string, string>();
  const state: CountingServer = { url: '', counts, applied, unkeyed: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/counts') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(Object.fromEntries(counts)));
        return;
      }
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string') {
        state.unkeyed++;
        res.writeHead(400).end('no Idempotency-Key');
        return;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
      let result = results.get(key);
      if (result === undefined) {
        applied.set(key, (applied.get(key) ?? 0) + 1);
        result = JSON.stringify({ ok: true, path: req.url, method: req.method, size: body.length });
        results.set(key, result);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(result);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  state.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}
