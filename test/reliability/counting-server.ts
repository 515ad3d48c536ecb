/**
 * A local HTTP server for the chaos test: counts requests per Idempotency-Key and applies each
 * key's side effect once (a PUT with a key it has seen is answered from the first result).
 * `GET /counts` returns `{ <key>: requests }`, the format `statepipe chaos --counts-url` reads.
 * `GET /orders/<key>` is the check a `verify` asks: 200 with the effect's result when the key's
 * effect was applied, 404 when not (neither counted nor keyed).
 *
 * `stall(key)` lets crash tests hold a request forever: `before` its effect is applied (the
 * request arrived but never took effect) or `after` (it took effect; the answer never comes).
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

export type Stall = (key: string) => 'before' | 'after' | undefined;

export async function startCountingServer(opts: { stall?: Stall } = {}): Promise<CountingServer> {
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
      const order = /^\/orders\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && order) {
        const found = results.get(decodeURIComponent(order[1]!));
        res.writeHead(found === undefined ? 404 : 200, { 'content-type': 'application/json' });
        res.end(found ?? JSON.stringify({ error: 'no such order' }));
        return;
      }
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string') {
        state.unkeyed++;
        res.writeHead(400).end('no Idempotency-Key');
        return;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const stall = opts.stall?.(key);
      if (stall === 'before') return; // never applied, never answered
      let result = results.get(key);
      if (result === undefined) {
        applied.set(key, (applied.get(key) ?? 0) + 1);
        result = JSON.stringify({ ok: true, path: req.url, method: req.method, size: body.length });
        results.set(key, result);
      }
      if (stall === 'after') return; // applied; the answer never comes
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(result);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  state.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections(); // stalled requests too
    });
  return state;
}
