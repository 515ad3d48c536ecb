import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphNode } from '../../core/graph/schema.js';
import { asRunId } from '../../core/ids.js';
import type { NodeRunContext } from '../../core/ports.js';
import { httpRunner, parseRetryAfter, type HttpOutput } from './http.js';
import { nodeFailure as failure } from '../../core/engine/test-kit.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base = '';
const seen: Seen[] = [];
const NOW = Date.parse('2026-01-01T00:00:00Z');

function handle(req: IncomingMessage, res: ServerResponse, body: string): unknown {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
  const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(value));
  };
  switch (req.url) {
    case '/vendor':
      return json(200, { id: 7, name: 'ACME' }, { 'x-trace': 'abc' });
    case '/echo':
      return json(201, { got: body ? (JSON.parse(body) as unknown) : null });
    case '/text':
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('plain words');
    case '/boom':
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('database is down');
    case '/missing':
      return json(404, { error: 'no such vendor' });
    case '/slow-down':
      return json(429, { error: 'too many' }, { 'retry-after': '2' });
    case '/slow-down-date':
      return json(429, { error: 'too many' }, { 'retry-after': new Date(NOW + 5000).toUTCString() });
    case '/big': {
      // Streamed without a content-length, so the cap is enforced while reading.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(16 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < 64) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      return pump();
    }
    case '/gzip-bomb': {
      // A small declared length that decompresses to 1 MiB: the cap counts what is read.
      const packed = gzipSync('x'.repeat(1024 * 1024));
      res.writeHead(200, {
        'content-type': 'text/plain',
        'content-encoding': 'gzip',
        'content-length': String(packed.length),
      });
      return res.end(packed);
    }
    default:
      res.writeHead(404);
      return res.end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function makeCtx(config: Record<string, unknown>, over: Partial<NodeRunContext> = {}): NodeRunContext {
  const node: GraphNode = { id: 'call', type: 'http', config };
  return {
    runId: asRunId('run_h'),
    node,
    attempt: 1,
    idempotencyKey: 'run_h:call:1',
    signal: new AbortController().signal,
    timeoutMs: 60_000,
    clock: { now: () => NOW, sleep: async () => {}, timer: () => () => undefined },
    scope: { input: {}, nodes: {} },
    config,
    emitTokens: () => {},
    log: () => {},
    recordedSteps: [],
    recordStep: async () => {},
    services: {},
    ...over,
  };
}

describe('httpRunner', () => {
  it('GETs and parses a JSON reply', async () => {
    const { output } = await httpRunner(
      makeCtx({ method: 'GET', url: `${base}/vendor`, headers: { Accept: 'application/json' } }),
    );
    const out = output as HttpOutput;
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ id: 7, name: 'ACME' });
    expect(out.headers['x-trace']).toBe('abc');
    const req = seen.at(-1)!;
    expect(req.headers['accept']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe('run_h:call:1');
  });

  it('POSTs a JSON body with the idempotency key', async () => {
    const ctx = makeCtx(
      { method: 'POST', url: `${base}/echo`, body: { vendor: 'ACME', docs: 3 }, headers: { 'X-Team': 'ops' } },
      { idempotencyKey: 'run_h:call:2', attempt: 2 },
    );
    const out = (await httpRunner(ctx)).output as HttpOutput;
    expect(out).toMatchObject({ status: 201, body: { got: { vendor: 'ACME', docs: 3 } } });
    const req = seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.body).toBe('{"vendor":"ACME","docs":3}');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe('run_h:call:2');
    expect(req.headers['x-team']).toBe('ops');
  });

  it('sends a string body as written and keeps a non-JSON reply as text', async () => {
    const out = (await httpRunner(makeCtx({ method: 'PUT', url: `${base}/text`, body: 'raw=1' }))).output as HttpOutput;
    expect(out.body).toBe('plain words');
    expect(seen.at(-1)!.body).toBe('raw=1');
    expect(seen.at(-1)!.headers['content-type']).toBe('text/plain;charset=UTF-8'); // as fetch sent it
  });

  it('refuses a URL with credentials in it, however written, without quoting them; and schemes it does not request', async () => {
    for (const url of ['http://ana:s3cret@127.0.0.1:9/x', 'http:ana:s3cret@127.0.0.1:9/x', ' http://ana:s3cret@h/x']) {
      const f = await failure(httpRunner(makeCtx({ method: 'GET', url })));
      expect(f).toMatchObject({ kind: 'http-status', retryable: false });
      expect(f.message).toContain('Authorization header');
      expect(f.message).not.toContain('s3cret');
    }
    const ftp = await failure(httpRunner(makeCtx({ method: 'GET', url: 'ftp://127.0.0.1/x' })));
    expect(ftp).toMatchObject({ kind: 'http-status', retryable: false });
  });

  it("a header HTTP cannot carry is the config's fault, not retried", async () => {
    const f = await failure(
      httpRunner(makeCtx({ method: 'GET', url: `${base}/vendor`, headers: { 'x-bad': 'a\nb' } })),
    );
    expect(f).toMatchObject({ kind: 'http-status', retryable: false });
  });

  it('fails a 500 as a retryable http-status with the status and body excerpt', async () => {
    const f = await failure(httpRunner(makeCtx({ method: 'GET', url: `${base}/boom` })));
    expect(f.kind).toBe('http-status');
    expect(f.retryable).toBe(true);
    expect(f.message).toContain('500');
    expect(f.message).toContain('database is down');
    expect(f.details).toMatchObject({ status: 500 });
  });

  it('fails a 404 as a non-retryable http-status', async () => {
    const f = await failure(httpRunner(makeCtx({ method: 'DELETE', url: `${base}/missing` })));
    expect(f.kind).toBe('http-status');
    expect(f.retryable).toBe(false);
    expect(f.message).toMatch(/404.*no such vendor/);
  });

  it('fails a 429 as rate-limit with Retry-After in seconds or as a date', async () => {
    const f = await failure(httpRunner(makeCtx({ method: 'GET', url: `${base}/slow-down` })));
    expect(f).toMatchObject({ kind: 'rate-limit', retryable: true, retryAfterMs: 2000 });
    const g = await failure(httpRunner(makeCtx({ method: 'GET', url: `${base}/slow-down-date` })));
    expect(g.retryAfterMs).toBe(5000);
  });

  it('fails a body over the cap, naming the cap', async () => {
    const f = await failure(httpRunner(makeCtx({ method: 'GET', url: `${base}/big`, maxResponseBytes: 100_000 })));
    expect(f.kind).toBe('http-status');
    expect(f.retryable).toBe(false);
    expect(f.message).toContain('maxResponseBytes (100000 bytes)');
    // Under the cap, the same body is fine.
    const ok = (await httpRunner(makeCtx({ method: 'GET', url: `${base}/big`, maxResponseBytes: 2_000_000 })))
      .output as HttpOutput;
    expect((ok.body as string).length).toBe(64 * 16 * 1024);
  });

  it('caps a compressed body by its decompressed size, not its declared length', async () => {
    const url = `${base}/gzip-bomb`;
    const f = await failure(httpRunner(makeCtx({ method: 'GET', url, maxResponseBytes: 100_000 })));
    expect(f.message).toContain('maxResponseBytes (100000 bytes)');
    const ok = (await httpRunner(makeCtx({ method: 'GET', url }))).output as HttpOutput;
    expect((ok.body as string).length).toBe(1024 * 1024);
  });

  it('fails an unreachable host as a retryable network error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const f = await failure(httpRunner(makeCtx({ method: 'GET', url: `http://127.0.0.1:${port}/` })));
    expect(f.kind).toBe('network');
    expect(f.retryable).toBe(true);
    expect(f.message).toContain('ECONNREFUSED');
  });

  it('is cancelled through its signal', async () => {
    const ac = new AbortController();
    ac.abort();
    const f = await failure(httpRunner(makeCtx({ method: 'GET', url: `${base}/vendor` }, { signal: ac.signal })));
    expect(f.kind).toBe('cancelled');
  });

  it('uses services.fetch when the host gives one', async () => {
    const calls: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      calls.push(String(url));
      return new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const out = (
      await httpRunner(makeCtx({ method: 'GET', url: 'https://api.example/x' }, { services: { fetch: fakeFetch } }))
    ).output as HttpOutput;
    expect(out.body).toEqual({ ok: true });
    expect(calls).toEqual(['https://api.example/x']);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', async () => {
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter(new Date(NOW + 3000).toUTCString(), NOW)).toBe(3000);
    expect(parseRetryAfter(new Date(NOW - 3000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});
