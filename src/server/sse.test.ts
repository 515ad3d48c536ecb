/**
 * The SSE event stream with a real EventSource client (the `eventsource` package, as scripts use
 * it): it reconnects with Last-Event-ID, which wins over the `?after=` of its URL, so no event
 * arrives twice; once the run has ended and everything was sent, the server answers 204 and
 * the client stops reconnecting.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { describe, expect, it } from 'vitest';
import { RUN_EVENT_TYPES } from '../core/events.js';
import { startServer } from './index.js';
import { useTestServer } from './server-test-kit.js';

const t = useTestServer('sse');
const { post, base, auth } = t;

/** A run that waits for an approval after a few events (so a client can join mid-run). */
async function waitingRun(): Promise<string> {
  const graph = {
    format: 'statepipe.graph',
    version: 1,
    id: 'sse-demo',
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'shape', type: 'transform', config: { template: { n: 1 } } },
      { id: 'gate', type: 'approval', config: { title: 'ok?' } },
      { id: 'out', type: 'output', config: { value: '{{nodes.shape.output}}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'shape' },
      { id: 'e2', source: 'shape', target: 'gate' },
      { id: 'e3', source: 'gate', target: 'out' },
    ],
  };
  const { runId } = (await (await post('/api/runs', { graph })).json()) as { runId: string };
  for (let i = 0; i < 200; i++) {
    const r = (await (await fetch(`${base()}/api/runs/${runId}`, { headers: auth() })).json()) as { status: string };
    if (r.status === 'waiting') return runId;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('the run never waited');
}

describe('GET /api/runs/:runId/events with an EventSource', () => {
  it('reconnects with Last-Event-ID (no event twice) and stops once the run has ended', async () => {
    const runId = await waitingRun();
    const statuses: number[] = [];
    const seqs: number[] = [];
    const es = new EventSource(`${base()}/api/runs/${runId}/events?after=0&token=${t.server.token}`, {
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        statuses.push(res.status);
        return res;
      },
    });
    for (const type of RUN_EVENT_TYPES) es.addEventListener(type, (m) => seqs.push(Number(m.lastEventId)));
    const closed = new Promise<void>((resolve) => {
      es.addEventListener('error', () => {
        if (es.readyState === EventSource.CLOSED) resolve();
      });
    });
    for (let i = 0; i < 200 && !seqs.length; i++) await new Promise((res) => setTimeout(res, 10));
    expect((await post(`/api/runs/${runId}/approve`, { nodeId: 'gate' })).status).toBe(200);
    await closed; // the server said 204: the client gave up reconnecting
    es.close();
    expect(statuses).toEqual([200, 204]); // one stream, then one reconnect answered 204
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // every event once, in order
    const all = (await (await post('/api/call/runs.events', { runId })).json()) as { value: { events: unknown[] } };
    expect(seqs).toHaveLength(all.value.events.length);
  });

  it('Last-Event-ID wins over ?after=; a bad seq in either is a 400; an unknown run a 404', async () => {
    const runId = await waitingRun();
    const stream = await fetch(`${base()}/api/runs/${runId}/events?after=0`, {
      headers: { ...auth(), 'last-event-id': '3' },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    while (!/event: approval\.requested/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids[0]).toBe(4);
    for (const bad of ['?after=abc', '?after=-5', '?after=1.5']) {
      const r = await fetch(`${base()}/api/runs/${runId}/events${bad}`, { headers: auth() });
      expect(r.status, bad).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message, bad).toMatch(/^after: /);
    }
    const badId = await fetch(`${base()}/api/runs/${runId}/events`, { headers: { ...auth(), 'last-event-id': 'x' } });
    expect(badId.status).toBe(400);
    // An empty Last-Event-ID is none (the SSE standard's reset): ?after= then counts.
    const empty = await fetch(`${base()}/api/runs/${runId}/events?after=1`, {
      headers: { ...auth(), 'last-event-id': '' },
      signal: AbortSignal.timeout(1000),
    });
    expect(empty.status).toBe(200);
    const emptyReader = empty.body!.getReader();
    const first = new TextDecoder().decode((await emptyReader.read()).value);
    const more = first.includes('id: ') ? first : first + new TextDecoder().decode((await emptyReader.read()).value);
    expect(more).toMatch(/^id: 2$/m);
    await emptyReader.cancel();
    const missing = await fetch(`${base()}/api/runs/run_00000000000000000000000000/events`, { headers: auth() });
    expect(missing.status).toBe(404);
  });

  it("a failed run's stream stays open: a retry continues the run, and its events come on the same stream", async () => {
    // A gate rejected without a false branch fails the run; a retry of the gate asks again.
    const runId = await waitingRun();
    const ids: number[] = [];
    const types: string[] = [];
    const es = new EventSource(`${base()}/api/runs/${runId}/events?token=${t.server.token}`);
    for (const type of RUN_EVENT_TYPES)
      es.addEventListener(type, (m) => {
        ids.push(Number(m.lastEventId));
        types.push(type);
      });
    const seen = async (type: string) => {
      for (let i = 0; i < 300 && !types.includes(type); i++) await new Promise((r) => setTimeout(r, 20));
      expect(types, type).toContain(type);
    };
    await seen('approval.requested');
    await post(`/api/call/runs.approve`, { runId, nodeId: 'gate', approved: false });
    await seen('run.failed');
    const retried = await post(`/api/call/runs.retry`, { runId, nodeId: 'gate' });
    expect(retried.status).toBe(200);
    await seen('run.retried');
    es.close();
    expect(types.filter((x) => x === 'approval.requested')).toHaveLength(2);
    expect(ids).toEqual(ids.map((_, i) => i + 1)); // one stream, no gap, nothing twice
    // With nothing after its last event, a failed run is not "done": its stream opens (200), not 204.
    const open = await fetch(`${base()}/api/runs/${runId}/events?after=${ids.at(-1)}`, {
      headers: auth(),
      signal: AbortSignal.timeout(500),
    }).catch((err: unknown) => err);
    expect(open instanceof Response ? open.status : 'aborted').not.toBe(204);
  });

  it('a finished run answers its events after the given id, then 204 once they were all sent', async () => {
    const runId = await waitingRun();
    await post(`/api/runs/${runId}/cancel`, {});
    for (let i = 0; i < 100; i++) {
      const r = (await (await fetch(`${base()}/api/runs/${runId}`, { headers: auth() })).json()) as { status: string };
      if (r.status === 'cancelled') break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const full = await fetch(`${base()}/api/runs/${runId}/events`, { headers: auth() });
    expect(full.status).toBe(200);
    const ids = [...(await full.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThan(3);
    const last = ids.at(-1)!;
    const rest = await fetch(`${base()}/api/runs/${runId}/events?after=${last - 1}`, { headers: auth() });
    expect([...(await rest.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([last]);
    const done = await fetch(`${base()}/api/runs/${runId}/events?after=${last}`, { headers: auth() });
    expect(done.status).toBe(204);
    expect(await done.text()).toBe('');
  });
});

describe('a server that closes while a stream is open', () => {
  it('ends the stream as a stream ends (the client reads its end), not cut off mid-chunk', async () => {
    const server = await startServer({
      dbPath: join(mkdtempSync(join(tmpdir(), 'statepipe-sse-close-')), 'sp.db'),
      port: 0,
    });
    const base = `http://127.0.0.1:${server.port}`;
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'held',
      nodes: [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }],
      edges: [],
    };
    const { runId } = (await (
      await fetch(`${base}/api/runs`, { method: 'POST', headers, body: JSON.stringify({ graph }) })
    ).json()) as {
      runId: string;
    };
    const res = await fetch(`${base}/api/runs/${runId}/events`, { headers });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the stream is open
    const closing = server.close();
    let read: ReadableStreamReadResult<Uint8Array>;
    do read = await reader.read();
    while (!read.done);
    await closing;
    expect(read.done).toBe(true); // a cut-off socket rejects the read instead ("terminated")
  });
});
