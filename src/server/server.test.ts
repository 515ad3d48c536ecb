import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { coalesceTokens } from '../host/coalesce.js';
import { startServer, type RunningServer } from './index.js';

let server: RunningServer;
const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8'));

beforeAll(async () => {
  server = await startServer({ dbPath: join(mkdtempSync(join(tmpdir(), 'statepipe-serve-')), 'sp.db'), port: 0 });
});
afterAll(() => server.close());

const base = () => `http://127.0.0.1:${server.port}`;
const call = (method: string, input: unknown, token: string | undefined = server.token) =>
  fetch(`${base()}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ method, input }),
  });

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe('statepipe serve', () => {
  it('prints a URL with the token and binds to 127.0.0.1', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('refuses requests without the token or with a wrong one', async () => {
    expect((await fetch(`${base()}/`)).status).toBe(401);
    expect((await fetch(`${base()}/?token=wrong`)).status).toBe(401);
    expect((await call('app.info', {}, '')).status).toBe(401);
    expect((await call('app.info', {}, 'x'.repeat(32))).status).toBe(401);
    const ok = await call('app.info', {});
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, value: { host: 'web' } });
  });

  it('answers a malformed call with a coded error', async () => {
    const r = await call('runs.get', { runId: 42 });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('refuses sockets without the token or from a foreign Origin', async () => {
    await expect(openSocket(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow(/401/);
    await expect(
      openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: 'http://evil.example' }),
    ).rejects.toThrow(/401/);
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
      origin: `http://127.0.0.1:${server.port}`,
    });
    ws.close();
  });

  it('starts a run over the socket and streams its events until it succeeds', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const events: { seq: number; type: string; nodeId?: string; data: { mergedSeqs?: number[] } }[] = [];
    let runId = '';
    const done = new Promise<void>((resolve) => {
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw));
        if (msg.id === 1) runId = msg.result.value.runId;
        if (msg.kind === 'events') {
          events.push(...msg.events);
          if (msg.events.some((e: { type: string }) => e.type === 'run.succeeded')) resolve();
        }
      });
    });
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'runs.start',
        input: { graph: example('document-pipeline'), input: { text: 'Alice met Bob in Berlin' } },
      }),
    );
    await done;
    ws.close();
    expect(runId).toMatch(/^run_/);
    // No gap and no duplicate: every seq arrives exactly once (coalesced token events list theirs).
    const seen = events.flatMap((e) => e.data.mergedSeqs ?? [e.seq]).sort((a, b) => a - b);
    const stored = await (await call('runs.events', { runId, afterSeq: 0 })).json();
    expect(seen).toEqual(stored.value.events.map((e: { seq: number }) => e.seq));
    expect(events.filter((e) => e.type === 'node.tokens').length).toBeLessThan(
      stored.value.events.filter((e: { type: string }) => e.type === 'node.tokens').length + 1,
    );
  });
});

describe('coalesceTokens', () => {
  const t = (seq: number, nodeId: string, text: string) =>
    ({ seq, runId: 'r', ts: '', type: 'node.tokens', nodeId, data: { attempt: 1, text } }) as never;
  it('merges adjacent token events of a node (same attempt) and keeps every event in seq order', () => {
    const out = coalesceTokens([
      t(1, 'a', 'x'),
      t(2, 'a', 'y'),
      t(3, 'b', 'z'),
      t(4, 'a', 'w'), // not adjacent to 1-2: merging it there would put seq 4 before seq 3
      { seq: 5, runId: 'r', ts: '', type: 'node.succeeded', nodeId: 'a', data: {} } as never,
      t(6, 'b', 'v'),
      t(7, 'b', 'u'),
    ]);
    expect(out.map((e) => [e.type, e.nodeId, e.seq, (e.data as { text?: string }).text, e.data.mergedSeqs])).toEqual([
      ['node.tokens', 'a', 2, 'xy', [1, 2]],
      ['node.tokens', 'b', 3, 'z', undefined],
      ['node.tokens', 'a', 4, 'w', undefined],
      ['node.succeeded', 'a', 5, undefined, undefined],
      ['node.tokens', 'b', 7, 'vu', [6, 7]],
    ]);
  });
});
