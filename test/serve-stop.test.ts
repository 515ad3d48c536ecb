/**
 * Stopping `statepipe serve` (Ctrl+C, SIGTERM) pauses the runs it drives: a POST in flight
 * finishes and is recorded, nothing is left in doubt, a pure `delay` is not waited for, and each
 * run resumes later. Real server process, real POST server on 127.0.0.1, real signals.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../src/cli/cli-test-kit.js';
import { startServeChild, type ServeChild } from './serve-child.js';

const dir = tmpDir();
let posts = 0;
let answerMs = 600;
const shop = http.createServer((req, res) => {
  req.resume();
  posts++;
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"placed":true}'), answerMs);
});
let url = '';
const servers: ServeChild[] = [];

beforeAll(async () => {
  await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(shop.address() as { port: number }).port}/orders`;
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  shop.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const orders = () => ({
  format: 'statepipe.graph',
  version: 1,
  id: 'orders',
  nodes: [
    { id: 'order', type: 'http', config: { method: 'POST', url, body: { item: 1 } } },
    { id: 'confirm', type: 'http', config: { method: 'POST', url, body: { item: 2 } } },
  ],
  edges: [{ id: 'e1', source: 'order', target: 'confirm' }],
});
const waits = {
  format: 'statepipe.graph',
  version: 1,
  id: 'waits',
  nodes: [
    { id: 'wait', type: 'delay', config: { ms: 1500 } },
    { id: 'out', type: 'output', config: { value: 'done' } },
  ],
  edges: [{ id: 'e1', source: 'wait', target: 'out' }],
};

async function serve(db: string, args: string[] = []) {
  const s = await startServeChild(db, args);
  servers.push(s);
  const start = async (graph: unknown): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${s.port}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ graph }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { runId: string }).runId;
  };
  const running = async (runId: string): Promise<void> => {
    for (let i = 0; i < 500; i++) {
      const res = await fetch(`http://127.0.0.1:${s.port}/api/runs/${runId}`, {
        headers: { authorization: `Bearer ${s.token}` },
      });
      if (((await res.json()) as { status: string }).status === 'running') return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${runId} never ran`);
  };
  const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
  return { s, start, running, exited };
}

const inspect = async (db: string, runId: string) => {
  const r = await cli(['inspect', runId, '--db', db, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { status: string; nodes: { nodeId: string; status: string }[] };
};
const statusOf = (run: { nodes: { nodeId: string; status: string }[] }, id: string) =>
  run.nodes.find((n) => n.nodeId === id)?.status;

async function whenPosted(n: number): Promise<void> {
  for (let i = 0; i < 500 && posts < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(posts).toBe(n);
}

describe('stopping serve', () => {
  it('pauses its runs: the POST in flight finishes, a delay is not waited for; both resume', async () => {
    posts = 0;
    answerMs = 600;
    const db = path.join(dir, 'pause.db');
    const { s, start, running, exited } = await serve(db);
    const shopRun = await start(orders());
    const waitRun = await start(waits);
    await whenPosted(1);
    await running(waitRun);
    const t0 = Date.now();
    s.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000); // the POST's 600 ms, not the 30 s grace
    expect(s.stderr()).toContain('stopping: pausing 2 runs driven here');
    expect(s.stderr()).toContain(`paused: ${shopRun} `);
    expect(s.stderr()).toContain(`stopped with nodes still running: ${waitRun} `);

    const shop = await inspect(db, shopRun);
    expect(shop.status).toBe('paused');
    expect((shop as { pauseReason?: string }).pauseReason).toBe('stopped');
    expect(statusOf(shop, 'order')).toBe('succeeded');
    expect(statusOf(shop, 'confirm')).toBe('queued');
    expect(posts).toBe(1);

    // Resumed: the first POST is never sent again, nothing is in doubt.
    const resumed = await cli(['resume', shopRun, '--db', db], { timeoutMs: 30_000 });
    expect(resumed.code).toBe(0);
    expect(posts).toBe(2);
    expect((await inspect(db, shopRun)).status).toBe('succeeded');
    const waited = await cli(['resume', waitRun, '--db', db], { timeoutMs: 30_000 });
    expect(waited.stderr + waited.stdout).not.toContain('in doubt');
    expect(waited.code).toBe(0);
    expect((await inspect(db, waitRun)).status).toBe('succeeded');
  });

  it('after --grace-ms it stops anyway: the POST still running is in doubt on resume', async () => {
    posts = 0;
    answerMs = 3_000;
    const db = path.join(dir, 'grace.db');
    const { s, start, exited } = await serve(db, ['--grace-ms', '300']);
    const runId = await start(orders());
    await whenPosted(1);
    s.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(s.stderr()).toContain('(at most 0.3 s;');
    expect(s.stderr()).toContain(`stopped with nodes still running: ${runId} `);
    const run = await inspect(db, runId);
    expect(statusOf(run, 'order')).toBe('running');
    const resumed = await cli(['resume', runId, '--db', db], { timeoutMs: 30_000 });
    expect(resumed.stdout + resumed.stderr).toMatch(/in doubt/);
    expect(posts).toBe(1); // an unsafe POST is never sent again unasked
  });

  it('refuses a grace period no timer can wait', async () => {
    const r = await cli(['serve', '--grace-ms', '99999999999', '--db', path.join(dir, 'never.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--grace-ms: at most 2147483647 ms');
  });

  it('a second Ctrl+C quits at once', async () => {
    posts = 0;
    answerMs = 5_000;
    const db = path.join(dir, 'twice.db');
    const { s, start, exited } = await serve(db);
    await start(orders());
    await whenPosted(1);
    const t0 = Date.now();
    s.child.kill('SIGINT');
    for (let i = 0; i < 200 && !s.stderr().includes('stopping:'); i++) await new Promise((r) => setTimeout(r, 10));
    s.child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});
