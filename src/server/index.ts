/**
 * `statepipe serve`: the studio in a browser. An HTTP + WebSocket host on 127.0.0.1 that serves
 * the built renderer and carries the same API as the desktop app's IPC bridge to dispatch().
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../contract/csp.js';
import { dispatch, type DispatchContext } from '../host/dispatch.js';
import { packageRoot, packageVersion } from '../host/paths.js';
import { osUser } from '../host/os-user.js';
import { StatepipeService } from '../host/service.js';
import { authorized, COOKIE, newToken, originAllowed } from './auth.js';
import { EventFeed } from '../host/event-feed.js';
import { handleRest, readBody, STATUS } from './rest.js';

export interface ServerOptions {
  dbPath: string;
  port?: number;
  host?: string;
  /** The built renderer (out/renderer by default). */
  staticDir?: string;
  token?: string;
  version?: string;
  onError?: (err: unknown) => void;
  /** Recorded as `by` of an approval whose request names nobody (default: the OS user the server runs as, as the CLI does). */
  approver?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  service: StatepipeService;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};
const CSP = CONTENT_SECURITY_POLICY;

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'application/json'): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const service = await StatepipeService.open({ dbPath: opts.dbPath });
  await service.recoverInterrupted();
  const token = opts.token ?? newToken();
  const staticDir = resolve(opts.staticDir ?? join(packageRoot(), 'out', 'renderer'));
  const approver = opts.approver ?? osUser();
  const ctx: DispatchContext = {
    service,
    host: 'web',
    version: opts.version ?? packageVersion(),
    onBackgroundError: opts.onError ?? (() => undefined),
    ...(approver !== undefined ? { approver } : {}),
  };
  const feed = await EventFeed.open(service.store);
  let port = 0;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!authorized(req, url, token))
      return send(
        res,
        401,
        JSON.stringify({ ok: false, error: { code: 'unauthorized', message: 'missing or wrong token' } }),
      );
    try {
      if (url.pathname === '/api/call' && req.method === 'POST') {
        let body: { method?: unknown; input?: unknown };
        try {
          body = JSON.parse(await readBody(req)) as typeof body;
        } catch (err) {
          return send(
            res,
            400,
            JSON.stringify({ ok: false, error: { code: 'bad-request', message: `body: ${(err as Error).message}` } }),
          );
        }
        const r = await dispatch(ctx, body?.method, body?.input);
        return send(res, r.ok ? 200 : (STATUS[r.error.code] ?? 500), JSON.stringify(r));
      }
      // The REST routes, the OpenAPI document and the SSE event stream (rest.ts).
      if (url.pathname.startsWith('/api/') && (await handleRest(req, res, url, ctx, feed))) return;
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, '{"ok":false,"error":{"code":"bad-request","message":"method not allowed"}}');
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
      const file = normalize(join(staticDir, rel));
      if (!file.startsWith(staticDir + sep)) return send(res, 404, 'not found', 'text/plain');
      if (!existsSync(file)) {
        if (rel === 'index.html')
          return send(
            res,
            503,
            `<!doctype html><title>statepipe</title><p>The studio is not built yet: run <code>npm run build</code>.</p>`,
            'text/html; charset=utf-8',
          );
        return send(res, 404, 'not found', 'text/plain');
      }
      if (url.searchParams.has('token'))
        res.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      send(res, 200, readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
    } catch (err) {
      send(res, 500, JSON.stringify({ ok: false, error: { code: 'internal', message: (err as Error).message } }));
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/ws' || !authorized(req, url, token) || !originAllowed(req, port)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws));
  });

  function onSocket(ws: WebSocket): void {
    ws.send(JSON.stringify({ kind: 'hello', lastEventCursor: feed.position }));
    const unsubscribe = feed.subscribe((events) => {
      if (ws.readyState !== ws.OPEN) return;
      const byRun = new Map<string, typeof events>();
      for (const e of events) (byRun.get(e.runId) ?? byRun.set(e.runId, []).get(e.runId)!).push(e);
      for (const [runId, list] of byRun) ws.send(JSON.stringify({ kind: 'events', runId, events: list }));
    });
    ws.on('message', async (raw) => {
      let msg: { id?: unknown; method?: unknown; input?: unknown };
      try {
        msg = JSON.parse(String(raw)) as typeof msg;
      } catch {
        return ws.send(
          JSON.stringify({ id: null, result: { ok: false, error: { code: 'bad-request', message: 'not JSON' } } }),
        );
      }
      const result = await dispatch(ctx, msg?.method, msg?.input);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg?.id ?? null, result }));
    });
    ws.on('close', unsubscribe);
    ws.on('error', unsubscribe);
  }

  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => res());
    });
  } catch (err) {
    await service.close(); // nothing listens: leave no database handle behind
    throw err;
  }
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  feed.start();
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/?token=${token}`,
    port,
    token,
    service,
    async close() {
      feed.stop();
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      await service.close();
    },
  };
}
