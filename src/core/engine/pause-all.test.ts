/**
 * A host's orderly stop (pause-all.ts): the runs driven here pause and their running nodes
 * finish; nodes that lose nothing by stopping (a delay) are not waited for; after the grace
 * period the rest stop as they are. Event sequences on the in-memory store, simulated time.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, GraphNode } from '../graph/schema.js';
import { NodeFailure } from '../errors.js';
import type { NodeRunner } from '../ports.js';
import type { RunId } from '../ids.js';
import { pauseAll } from './pause-all.js';
import { replayRun } from './replay.js';
import { graph, nodeSeq, testEngine } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

/** A `code` runner whose calls end when `release()` is called. */
function held() {
  const waiting: (() => void)[] = [];
  const runner: NodeRunner = () => new Promise((r) => waiting.push(() => r({ output: 'done' })));
  return { runner, calls: () => waiting.length, release: () => waiting.splice(0).forEach((f) => f()) };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error('condition never met');
}

const work = (id: string): GraphNode => ({ id, type: 'code', config: { code: 'x' }, sideEffect: 'idempotent' });

async function replayed(env: ReturnType<typeof testEngine>, runId: RunId) {
  const { graph: g, events } = env.store.snapshot(runId);
  return replayRun(runId, g, events);
}

describe('pauseAll', () => {
  it('pauses a run: the node running finishes, the next never starts; named once ended', async () => {
    const code = held();
    const env = testEngine({ code: code.runner }, { autoClock: false }); // the grace never runs out
    const runId = await env.engine.createRun(
      graph({ nodes: [work('a'), work('b')], edges: [e('a', 'b')] }),
      {},
      {
        graphHash: 'h',
      },
    );
    const driving = env.engine.drive(runId);
    await until(() => code.calls() === 1);
    const stopping = pauseAll(env.engine, env.clock, 30_000);
    await until(() => env.events.some((x) => x.type === 'run.paused'));
    code.release();
    expect(await stopping).toEqual({ ended: [runId], left: [] });
    expect((await driving).status).toBe('paused');
    expect(nodeSeq(env.events, 'a')).toEqual(['node.queued', 'node.started', 'node.succeeded']);
    expect(nodeSeq(env.events, 'b')).toEqual(['node.queued']);
    // Paused by its host stopping, not by a person.
    expect(env.events.find((x) => x.type === 'run.paused')?.data).toEqual({ reason: 'stopped' });
    expect((await env.engine.inspect(runId)).pauseReason).toBe('stopped');
    // Resumed to its end, its record replays: the stop is where it happened.
    const resumed = env.engine.resume(runId);
    await until(() => code.calls() === 1);
    code.release();
    expect((await resumed).status).toBe('succeeded');
    expect(await replayed(env, runId)).toMatchObject({ matches: true, differences: [] });
  });

  it('a map: its children pause with it, and only the parent is named', async () => {
    const code = held();
    const env = testEngine({ code: code.runner }, { autoClock: false });
    const item: Graph = { format: 'statepipe.graph', version: 1, id: 'item', nodes: [work('w')], edges: [] };
    const g = graph({
      graphs: { item },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'item', items: [1, 2, 3, 4], concurrency: 2 } }],
      edges: [],
    });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId);
    await until(() => code.calls() === 2);
    expect(env.engine.drivenHere()).toHaveLength(3);
    const stopping = pauseAll(env.engine, env.clock, 30_000);
    await until(() => env.events.filter((x) => x.type === 'run.paused').length === 3);
    code.release();
    expect(await stopping).toEqual({ ended: [runId], left: [] });
    expect((await driving).status).toBe('paused');
    expect(code.calls()).toBe(0); // the other two items never started
    expect(env.engine.drivenHere()).toEqual([]);
  });

  it('a delay is not waited for: its run stops at once, paused, and a resume waits what is left', async () => {
    const env = testEngine({}, { autoClock: false });
    const g = graph({
      nodes: [
        { id: 'wait', type: 'delay', config: { ms: 60_000 } },
        { id: 'out', type: 'output', config: { value: 1 } },
      ],
      edges: [e('wait', 'out')],
    });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId).catch((err: unknown) => err);
    await until(() => env.events.some((x) => x.type === 'node.started' && x.nodeId === 'wait'));
    expect(await pauseAll(env.engine, env.clock, 30_000)).toEqual({ ended: [], left: [runId] });
    expect(String(await driving)).toMatch(/the host stopped while it ran; resume continues it/);
    expect((await env.engine.inspect(runId)).status).toBe('paused');
    env.clock.advance(20_000);
    const resumed = env.engine.resume(runId);
    await until(() => env.events.filter((x) => x.type === 'run.resumed').length === 1);
    env.clock.advance(40_000);
    expect((await resumed).status).toBe('succeeded');
    expect(await replayed(env, runId)).toMatchObject({ matches: true, differences: [] });
  });

  it('a map whose items wait on delays stops at once, parent first, and resumes to the end', async () => {
    const env = testEngine({}, { autoClock: false });
    const item: Graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'item',
      nodes: [{ id: 'wait', type: 'delay', config: { ms: 10_000 } }],
      edges: [],
    };
    const g = graph({
      graphs: { item },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'item', items: [1, 2, 3], concurrency: 3 } }],
      edges: [],
    });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId).catch((err: unknown) => err);
    await until(() => env.events.filter((x) => x.type === 'node.started' && x.nodeId === 'wait').length === 3);
    expect(await pauseAll(env.engine, env.clock, 30_000)).toEqual({ ended: [], left: [runId] });
    expect(String(await driving)).toMatch(/the host stopped/);
    // Nothing failed: the map's node and its items were only left running.
    expect(env.events.filter((x) => x.type === 'node.failed')).toEqual([]);
    const resumed = env.engine.resume(runId);
    await until(() => env.events.filter((x) => x.type === 'run.resumed').length >= 1);
    for (let i = 0; i < 20; i++) {
      env.clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await resumed).status).toBe('succeeded');
  });

  it('a node waiting out a retry backoff is not waited for: nothing is written for it, and a resume retries it', async () => {
    let calls = 0;
    const flaky: NodeRunner = async () => {
      if (++calls === 1) throw new NodeFailure('network', 'connection reset', { retryable: true });
      return { output: 'done' };
    };
    const env = testEngine({ code: flaky }, { autoClock: false });
    const node = { ...work('a'), retry: { maxAttempts: 3, backoffMs: 10_000, jitter: false } };
    const runId = await env.engine.createRun(graph({ nodes: [node], edges: [] }), {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId).catch((err: unknown) => err);
    await until(() => env.events.some((x) => x.type === 'node.retrying'));
    expect(await pauseAll(env.engine, env.clock, 30_000)).toEqual({ ended: [], left: [runId] });
    expect(String(await driving)).toMatch(/the host stopped/);
    expect(nodeSeq(env.events, 'a')).toEqual(['node.queued', 'node.started', 'node.retrying']);
    expect(calls).toBe(1);
    const resumed = env.engine.resume(runId);
    await until(() => env.events.some((x) => x.type === 'run.resumed'));
    env.clock.advance(10_000);
    expect((await resumed).status).toBe('succeeded');
    expect(calls).toBe(2);
  });

  it('after the grace period, a node still running is left as it is', async () => {
    const code = held();
    const env = testEngine({ code: code.runner });
    const runId = await env.engine.createRun(graph({ nodes: [work('a')], edges: [] }), {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId).catch((err: unknown) => err);
    await until(() => code.calls() === 1);
    // Simulated time: the 5 s pass as soon as nothing else is to be done.
    expect(await pauseAll(env.engine, env.clock, 5_000)).toEqual({ ended: [], left: [runId] });
    expect(String(await driving)).toMatch(/the host stopped/);
    const state = await env.engine.inspect(runId);
    expect(state.status).toBe('paused');
    expect(state.nodes.get('a' as never)?.status).toBe('running');
  });
});
