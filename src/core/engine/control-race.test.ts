/**
 * A pause or cancel left for the process that drives a run, as that process's driver stops (the
 * run begins to wait, or ends): carried out by whoever ends the drive, answered with what came of
 * it, never acknowledged and then lost. Two engines share one store, as two processes share a
 * database.
 */
import { describe, expect, it } from 'vitest';
import { asNewEvent, ev } from '../events.js';
import type { GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import { realClock } from './clock.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { counting, graph } from './test-kit.js';

const gate: GraphNode = { id: 'gate', type: 'approval', config: { title: 'ok?' } };
const charge: GraphNode = { id: 'charge', type: 'http', config: { method: 'POST', url: 'http://127.0.0.1:1/c' } };
const g = graph({ nodes: [gate, charge], edges: [{ id: 'e', source: 'gate', target: 'charge' }] });

/** Engines `a` (it drives) and `b` (another process) on one store; a's lease is let go only once `b` asked. */
function twoProcesses() {
  const store = new MemoryStore();
  const http = counting(async () => ({ output: { status: 200 } }));
  const engine = (id: string) =>
    new Engine({ store, clock: realClock, runners: { http }, owner: { id }, controlPollMs: 20 });
  let asked!: () => void;
  const askedOnce = new Promise<void>((r) => (asked = r));
  const release = store.releaseLease.bind(store);
  store.releaseLease = async (runId, lease) => {
    if (lease.owner.id === 'a') await askedOnce;
    return release(runId, lease);
  };
  const request = store.requestControl.bind(store);
  store.requestControl = async (runId, kind) => {
    await request(runId, kind);
    asked();
  };
  return { store, http, a: engine('a'), b: engine('b') };
}

describe('a control asked as the driver stops', () => {
  it('a cancel left while the run goes to wait at its gate is carried out: the run is cancelled, and the answer says so', async () => {
    const { store, http, a, b } = twoProcesses();
    const runId = (await a.createRun(g, {}, { graphHash: 'h' })) as RunId;
    const waited = new Promise<void>((r) => a.subscribe((es) => es.some((x) => x.type === 'run.waiting') && r()));
    const driving = a.drive(runId);
    await waited;
    // a still holds the lease: b can only leave the cancel for it.
    const answer = await b.cancel(runId);
    expect(answer).toEqual({ runId, status: 'cancelled' });
    expect((await driving).status).toBe('cancelled');
    expect((await a.inspect(runId)).status).toBe('cancelled');
    expect(await store.takeControls(runId)).toEqual([]);
    await expect(a.approve(runId, 'gate', { approved: true })).rejects.toThrow();
    expect(http.calls).toBe(0);
  });

  it('a pause left as the run goes to wait is carried out too', async () => {
    const { a, b } = twoProcesses();
    const runId = (await a.createRun(g, {}, { graphHash: 'h' })) as RunId;
    const waited = new Promise<void>((r) => a.subscribe((es) => es.some((x) => x.type === 'run.waiting') && r()));
    const driving = a.drive(runId);
    await waited;
    expect(await b.pause(runId)).toMatchObject({ runId, status: 'paused' });
    expect((await driving).status).toBe('paused');
  });

  it('a run that ended takes no control: refused by name, nothing left behind', async () => {
    const { store, b } = twoProcesses();
    const done = graph({ nodes: [{ id: 'x', type: 'transform', config: { template: '1' } }], edges: [] });
    const o = await b.start(done, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    await expect(b.cancel(o.runId as RunId)).rejects.toThrow(`run ${o.runId} is succeeded and cannot be cancelled`);
    await expect(store.requestControl(o.runId as RunId, 'pause')).rejects.toThrow(/cannot be paused/);
  });

  it('a failed run retried runs again: it takes controls as any running run does', async () => {
    const { store, b } = twoProcesses();
    const boom = graph({
      nodes: [{ id: 'x', type: 'transform', config: { template: '{{ $error("no") }}' } }],
      edges: [],
    });
    const o = await b.start(boom, {}, { graphHash: 'h' });
    expect(o.status).toBe('failed');
    const failed = (await store.loadRun(o.runId as RunId)).events.map(asNewEvent);
    const retried = 'run_retried' as RunId;
    store.seed({
      runId: retried,
      graph: boom,
      graphHash: 'h',
      events: [...failed, ev('run.retried', { nodeId: 'x' })],
    });
    await store.requestControl(retried, 'pause');
    expect(await store.takeControls(retried)).toEqual([{ kind: 'pause' }]);
  });
});
