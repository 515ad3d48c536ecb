/**
 * `serve --allow-origin`: the studio page of another server may open the socket and read the API
 * (CORS) with the token in the query; not with the cookie, and an origin not listed gets neither.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllowedOrigin } from './auth';
import { startServer, type RunningServer } from './index';

const OTHER = 'http://127.0.0.1:5555';

/** Resolves with the HTTP status that refused the upgrade, or 101 when the socket opened. */
function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('serve --allow-origin', () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'statepipe-origin-'));
    server = await startServer({ dbPath: join(dir, 'db'), port: 0, allowOrigins: [OTHER] });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ws = (token: string) => `ws://127.0.0.1:${server.port}/ws?token=${token}`;

  it('opens the socket for a listed origin with the token, refuses the rest', async () => {
    expect(await upgrade(ws(server.token), { origin: OTHER })).toBe(101);
    expect(await upgrade(ws('wrong'), { origin: OTHER })).toBe(401);
    expect(await upgrade(ws(server.token), { origin: 'http://127.0.0.1:6666' })).toBe(401);
    // The cookie a browser sends along to a same-site page is not the page's own token.
    const cookieOnly = `ws://127.0.0.1:${server.port}/ws`;
    expect(await upgrade(cookieOnly, { origin: OTHER, cookie: `statepipe_token=${server.token}` })).toBe(401);
  });

  it('answers a listed origin with CORS headers, a refused token included; writes stay refused', async () => {
    const api = `http://127.0.0.1:${server.port}/api/openapi.json`;
    const bad = await fetch(`${api}?token=wrong`, { headers: { origin: OTHER } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('access-control-allow-origin')).toBe(OTHER);
    const other = await fetch(`${api}?token=${server.token}`, { headers: { origin: 'http://127.0.0.1:6666' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const write = await fetch(`http://127.0.0.1:${server.port}/api/runs?token=${server.token}`, {
      method: 'POST',
      headers: { origin: OTHER, 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(write.status).toBe(403);
  });

  it('takes only origins', () => {
    expect(parseAllowedOrigin('http://10.0.0.5:7777/')).toEqual({ ok: true, origin: 'http://10.0.0.5:7777' });
    expect(parseAllowedOrigin('http://10.0.0.5:7777/studio')).toMatchObject({ ok: false });
    expect(parseAllowedOrigin('ftp://x')).toMatchObject({ ok: false });
    expect(parseAllowedOrigin('nonsense')).toMatchObject({ ok: false });
  });
});
