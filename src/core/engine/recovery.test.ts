/**
 * Crash recovery on the event log: a new engine finds the log as a killed process left it
 * (a prefix of a real run's events) and resumes it.
 */
import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import { backoffDelay } from './plan.js';
import { counting, crashAfter, graph, nodeSeq, testEngine } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const code = (id: string, extra: Partial<GraphNode> = {}): GraphNode => ({
  id,
  type: 'code',
  config: { code: 'x' },
  ...extra,
});

describe('resume after a crash', () => {
  it('succeeded nodes keep their outputs and are not run again; in-flight pure nodes re-run with the same attempt', async () => {
    const runner = counting(async (ctx) => ({ output: `${ctx.node.id}@${ctx.idempotencyKey}` }));
    const g = graph({ nodes: [code('a'), code('b'), code('c')], edges: [e('a', 'b'), e('b', 'c')] });
    const first = testEngine({ code: runner });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.started' && x.nodeId === 'b', {
      code: runner,
    });
    const calls = runner.calls;
    const done = await second.engine.resume(o.runId as RunId);
    expect(done.status).toBe('succeeded');
    expect(runner.calls - calls).toBe(2); // b again, then c; a is not repeated
    expect(nodeSeq(second.events, 'a')).toEqual([]);
    const restarted = second.events.find((x) => x.type === 'node.started' && x.nodeId === 'b')!;
    expect(restarted.data).toMatchObject({ attempt: 1, resumed: true });
    expect((await second.engine.inspect(o.runId as RunId)).result).toEqual(
      (await first.engine.inspect(o.runId as RunId)).result,
    );
  });

  it('a GET begun before its start was written (the process died meanwhile) is sent again with the same attempt and key', async () => {
    const keys: string[] = [];
    const http = counting(async (ctx) => {
      keys.push(`${ctx.attempt} ${ctx.idempotencyKey}`);
      return { output: { status: 200 } };
    });
    const g = graph({
      nodes: [code('a'), { id: 'get', type: 'http', config: { method: 'GET', url: 'http://127.0.0.1:1/x' } }],
      edges: [e('a', 'get')],
    });
    const first = testEngine({ code: counting(async () => ({ output: 1 })), http });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    // The log ends before the GET's start: it was being written when the request went out.
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.queued' && x.nodeId === 'get', {
      http,
    });
    const done = await second.engine.resume(o.runId as RunId);
    expect(done.status).toBe('succeeded');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(nodeSeq(second.events, 'get')).toEqual(['node.started', 'node.succeeded']);
  });

  it('an in-flight unsafe node becomes in-doubt and is never re-run without a decision', async () => {
    const runner = counting(async (ctx) => ({ output: ctx.node.id }));
    const g = graph({
      nodes: [code('a'), code('pay', { sideEffect: 'unsafe' }), code('c')],
      edges: [e('a', 'pay'), e('pay', 'c')],
    });
    const first = testEngine({ code: runner });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.started' && x.nodeId === 'pay', {
      code: runner,
    });
    const calls = runner.calls;
    const waiting = await second.engine.resume(o.runId as RunId);
    expect(waiting).toMatchObject({ status: 'waiting', waitingFor: ['pay'] });
    expect(runner.calls).toBe(calls);
    expect(nodeSeq(second.events, 'pay')).toEqual(['node.in-doubt']);
    const done = await second.engine.resolve(o.runId as RunId, 'pay', 'paid-by-hand');
    expect(done.status).toBe('succeeded');
    expect(runner.calls - calls).toBe(1); // only c
    expect((await second.engine.inspect(o.runId as RunId)).nodes.get('pay')!.output).toBe('paid-by-hand');
  });

  it('a delay resumes with its remainder', async () => {
    const g = graph({ nodes: [{ id: 'wait', type: 'delay', config: { ms: 10_000 } }], edges: [] });
    const first = testEngine();
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    const started = all.find((x) => x.type === 'node.started')!;
    const until = (started.data as { until: number }).until;
    const second = crashAfter(g, o.runId as RunId, all, (x) => x === started, {});
    second.clock.advance(until - 4_000 - second.clock.now()); // the process was down for 6 s of the 10
    const t0 = second.clock.now();
    const done = await second.engine.resume(o.runId as RunId);
    expect(done.status).toBe('succeeded');
    expect(second.clock.now() - t0).toBe(4_000);
    expect(second.events.find((x) => x.type === 'node.started')!.data).toMatchObject({ until, resumed: true });
  });

  it('an open approval stays open across a restart', async () => {
    const g = graph({
      nodes: [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }, code('after')],
      edges: [e('gate', 'after')],
    });
    const runner = counting(async () => ({ output: 1 }));
    const first = testEngine({ code: runner });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'approval.requested', { code: runner });
    const again = await second.engine.resume(o.runId as RunId);
    expect(again).toMatchObject({ status: 'waiting', waitingFor: ['gate'] });
    expect(second.events.filter((x) => x.type === 'approval.requested')).toHaveLength(0);
    expect((await second.engine.approve(o.runId as RunId, 'gate', { approved: true })).status).toBe('succeeded');
  });
});

describe('backoff', () => {
  const p = (strategy: 'exponential' | 'linear' | 'fixed', jitter = false) => ({
    maxAttempts: 5,
    backoffMs: 100,
    strategy,
    jitter,
  });
  it('follows docs/graph-format.md "Retries"', () => {
    expect([1, 2, 3].map((a) => backoffDelay(p('exponential'), a, () => 0.5))).toEqual([100, 200, 400]);
    expect([1, 2, 3].map((a) => backoffDelay(p('linear'), a, () => 0.5))).toEqual([100, 200, 300]);
    expect([1, 2, 3].map((a) => backoffDelay(p('fixed'), a, () => 0.5))).toEqual([100, 100, 100]);
    expect(backoffDelay(p('fixed', true), 1, () => 0.999)).toBe(150);
    expect(backoffDelay(p('fixed', true), 1, () => 0)).toBe(100);
  });
});

describe('a hand-off is not a crash', () => {
  it('an approval handed to another process (a worker): the one that takes the run records no interruption', async () => {
    const g = graph({
      nodes: [{ id: 'ok', type: 'approval', config: { title: 'ok?' } }, code('after')],
      edges: [e('ok', 'after')],
    });
    const env = testEngine({ code: counting(async () => ({ output: 1 })) });
    const waiting = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(waiting.status).toBe('waiting');
    const runId = waiting.runId as RunId;
    const handed = await env.engine.approve(runId, 'ok', { approved: true }, { handOff: true });
    expect(handed.status).toBe('running');
    const done = await env.engine.drive(runId);
    expect(done.status).toBe('succeeded');
    const types = env.store.snapshot(runId).events.map((x) => x.type);
    expect(types).not.toContain('run.interrupted');
    expect(types.filter((t) => t === 'run.resumed')).toHaveLength(1); // the approval's, once
  });
});
