/**
 * What the HTTP API refuses, and how: an Idempotency-Key reused for another request (422) or
 * contradicted by the body (400); writes from another origin (403) and bodies that are not JSON
 * (415); values nested thousands of levels deep (400 naming the field, over HTTP and the
 * socket); and no server path or stack in any answer.
 */
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestServer } from './server-test-kit.js';

const t = useTestServer('refusals');
const { post, base, auth } = t;
type Failure = { ok: false; error: { code: string; message: string } };
const graph = (id = 'refusals', template: unknown = '{{input}}') => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  nodes: [
    { id: 'start', type: 'input' },
    { id: 'shape', type: 'transform', config: { template } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'shape' }],
});
/** JSON text nested `levels` deep (built as text: JSON.stringify itself overflows on such values). */
const nested = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const g = (id?: string) => JSON.stringify(graph(id));

describe('Idempotency-Key', () => {
  it('the same key and request: the same run (200); another graph or input: 422; key order does not matter', async () => {
    const first = await post('/api/runs', { graph: graph(), input: { a: 1, b: 2 } }, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(201);
    const { runId } = (await first.json()) as { runId: string };
    // The same request, its keys in another order: the same run.
    const reordered = { input: { b: 2, a: 1 }, graph: { ...graph(), id: 'refusals' } };
    const again = await post('/api/runs', reordered, { 'idempotency-key': 'k-1' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ runId, created: false });
    for (const other of [
      { graph: graph(), input: { a: 1, b: 3 } },
      { graph: graph('refusals', 'changed {{input}}'), input: { a: 1, b: 2 } },
    ]) {
      const r = await post('/api/runs', other, { 'idempotency-key': 'k-1' });
      expect(r.status).toBe(422);
      const body = (await r.json()) as Failure;
      expect(body.error.code).toBe('validation');
      expect(body.error.message).toMatch(/Idempotency-Key "k-1" was first used with a different graph or input/);
      expect(body.error.message).toContain(runId);
    }
    // The contract method refuses it the same way (the studio and scripts share one rule).
    const call = await post('/api/call/runs.start', { graph: graph(), input: {}, idempotencyKey: 'k-1' });
    expect(call.status).toBe(422);
    // ... and reads the header too, on both of its routes: the same run, not a second one.
    const viaHeader = await post(
      '/api/call/runs.start',
      { graph: graph(), input: { a: 1, b: 2 } },
      { 'idempotency-key': 'k-1' },
    );
    expect(await viaHeader.json()).toEqual({ ok: true, value: { runId, created: false } });
    const viaCall = await post(
      '/api/call',
      { method: 'runs.start', input: { graph: graph(), input: { a: 1, b: 2 } } },
      { 'idempotency-key': 'k-1' },
    );
    expect(await viaCall.json()).toEqual({ ok: true, value: { runId, created: false } });
    // Where the nodes sit on the canvas is not the request: a graph re-exported after a drag is the same.
    const moved = graph();
    moved.nodes = moved.nodes.map((n, i) => ({ ...n, position: { x: 40 * i, y: 7 } }));
    const dragged = await post('/api/runs', { graph: moved, input: { a: 1, b: 2 } }, { 'idempotency-key': 'k-1' });
    expect(dragged.status).toBe(200);
    expect(await dragged.json()).toEqual({ runId, created: false });
  });

  it('a body idempotencyKey that contradicts the header is a 400; the same key in both is fine', async () => {
    const clash = await post('/api/runs', { graph: graph(), idempotencyKey: 'body-key' }, { 'idempotency-key': 'hdr' });
    expect(clash.status).toBe(400);
    expect(((await clash.json()) as Failure).error.message).toMatch(/^idempotencyKey: .*body-key.*hdr/);
    const same = await post('/api/runs', { graph: graph(), idempotencyKey: 'both' }, { 'idempotency-key': 'both' });
    expect(same.status).toBe(201);
  });

  it('a key stored before request hashes existed still answers its run', async () => {
    const first = await post('/api/runs', { graph: graph() }, { 'idempotency-key': 'legacy' });
    const { runId } = (await first.json()) as { runId: string };
    const db = new Database(t.dbPath);
    db.prepare('UPDATE run_keys SET request_hash = NULL WHERE key = ?').run('legacy');
    db.close();
    const again = await post('/api/runs', { graph: graph(), input: { other: true } }, { 'idempotency-key': 'legacy' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { runId: string }).runId).toBe(runId);
  });
});

describe('cross-site writes and content types', () => {
  it('a POST from another origin or a cross-site/same-site page is a 403; our own origin and tools pass', async () => {
    const other = `http://127.0.0.1:${t.server.port + 1}`;
    for (const headers of <Record<string, string>[]>[
      { origin: other },
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' }, // another port of 127.0.0.1 is the same site
    ]) {
      const r = await post('/api/runs', { graph: graph() }, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(((await r.json()) as Failure).error.code).toBe('forbidden');
    }
    const own = { origin: `http://127.0.0.1:${t.server.port}`, 'sec-fetch-site': 'same-origin' };
    expect((await post('/api/call/app.info', {}, own)).status).toBe(200);
    expect((await post('/api/call/app.info', {})).status).toBe(200); // curl sends neither header
  });

  it('a body that is not JSON is a 415 (text/plain, forms, multipart), even when it parses as JSON', async () => {
    const body = JSON.stringify({ graph: graph() });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await post('/api/runs', body, { 'content-type': type });
      expect(r.status, type).toBe(415);
      expect(((await r.json()) as Failure).error.code).toBe('unsupported-media-type');
    }
    expect((await post('/api/runs', body, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });

  it('an empty body with the JSON content type (clients send it on every request) is no body, not a 400', async () => {
    const info = await post('/api/call/app.info', '', { 'content-type': 'application/json' });
    expect(info.status).toBe(200);
    const { runId } = (await (await post('/api/runs', JSON.stringify({ graph: graph() }))).json()) as { runId: string };
    const cancel = await post(`/api/runs/${runId}/cancel`, '', { 'content-type': 'application/json' });
    expect([200, 409], await cancel.text()).toContain(cancel.status);
    // A route that needs a body still says so.
    const start = await post('/api/runs', '', { 'content-type': 'application/json' });
    expect(start.status).toBe(400);
  });
});

describe('values nested 5 000 levels deep', () => {
  it('are a 400 naming the field: runs.start, graphs.save, /api/call/*, the socket', async () => {
    const deepGraph = g('deep').replace('"{{input}}"', nested(5000));
    const cases: [string, string, RegExp][] = [
      ['/api/runs', `{"graph":${g()},"input":${nested(5000)}}`, /^runs\.start: input: nested more than 256 levels/],
      [
        '/api/call/graphs.save',
        `{"graph":${deepGraph}}`,
        /^graphs\.save: graph: nested more than 256 levels deep \(at graph\.nodes\[1\]\.config/,
      ],
      ['/api/call/graphs.validate', `{"graph":${nested(5000)}}`, /^graphs\.validate: graph: nested/],
      ['/api/call/runs.start', `{"graph":${g()},"input":${nested(5000)}}`, /^runs\.start: input: nested/],
      [
        '/api/call',
        `{"method":"runs.start","input":{"graph":${g()},"input":${nested(5000)}}}`,
        /^runs\.start: input: nested/,
      ],
    ];
    for (const [path, body, message] of cases) {
      const r = await post(path, body);
      expect(r.status, path).toBe(400);
      expect(((await r.json()) as Failure).error.message, path).toMatch(message);
    }
    const ws = new WebSocket(`ws://127.0.0.1:${t.server.port}/ws?token=${t.server.token}`);
    const answer = await new Promise<{ result: Failure }>((resolve, reject) => {
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { id?: number; result: Failure };
        if (msg.id === 7) resolve(msg);
      });
      ws.on('error', reject);
      ws.on('open', () => ws.send(`{"id":7,"method":"runs.start","input":{"graph":${g()},"input":${nested(5000)}}}`));
    });
    ws.close();
    expect(answer.result.error).toMatchObject({
      code: 'bad-request',
      message: expect.stringMatching(/^runs\.start: input: nested/),
    });
  });
});

describe('server paths and stacks', () => {
  it('app.info names the database by its file name; a 404 names no folder; node.failed carries no stack', async () => {
    const info = (await (await post('/api/call/app.info', {})).json()) as { value: Record<string, unknown> };
    expect(info.value).toEqual({ version: expect.any(String), database: 'refusals.db', host: 'web' });
    const missing = await post('/api/call/runs.get', { runId: 'run_00000000000000000000000000' });
    expect(missing.status).toBe(404);
    const text = await missing.text();
    expect(text).not.toContain(dirname(t.dbPath));
    expect(text).toContain('refusals.db');
    const failing = {
      ...graph('fails'),
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'shape', type: 'code', config: { code: 'return input.no.such.field' } },
      ],
    };
    const { runId } = (await (await post('/api/runs', { graph: failing })).json()) as { runId: string };
    let events = '';
    for (let i = 0; i < 200 && !events.includes('node.failed'); i++) {
      await new Promise((res) => setTimeout(res, 20));
      events = await (await post('/api/call/runs.events', { runId })).text();
    }
    expect(events).toContain('node.failed');
    expect(events).not.toMatch(/"stack"|\n\s+at |\/src\//);
    const run = await (await fetch(`${base()}/api/runs/${runId}`, { headers: auth() })).text();
    expect(run).not.toMatch(/"stack"/);
  });
});
