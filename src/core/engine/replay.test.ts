/**
 * Replay re-drives a finished run from its record, calling no runner, and doing again what people
 * and crashes did at the point they did it: approvals, retries, cancel, pause and resume, budget
 * raises, a killed process and an in-doubt node decided by hand.
 */
import { asNewEvent } from '../events.js';
import { describe, expect, it } from 'vitest';
import { AppError, NodeFailure } from '../errors.js';
import type { RunEvent } from '../events.js';
import type { Graph, GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { NodeRunner } from '../ports.js';
import { SimClock } from './clock.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { replayRun } from './replay.js';
import { counting, crashAfter, graph, testEngine } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const code = (id: string, extra: Partial<GraphNode> = {}): GraphNode => ({
  id,
  type: 'code',
  config: { code: 'x' },
  ...extra,
});
const mock = (id: string, reply: string): GraphNode => ({
  id,
  type: 'llm',
  config: { provider: 'mock', model: 'm', prompt: id, mock: { reply, tokensPerSecond: 0 } },
});

/** A code runner that sleeps `ms[node]` of (simulated) time, honouring the abort signal. */
const sleepy = (ms: Record<string, number>) =>
  counting(async (ctx) => {
    await ctx.clock.sleep(ms[ctx.node.id] ?? 0, ctx.signal);
    return { output: `${ctx.node.id}!` };
  });

/** Calls `fn` once, right after the first committed event that matches. */
function when(env: ReturnType<typeof testEngine>, match: (e: RunEvent) => boolean, fn: () => unknown) {
  let done = false;
  env.engine.subscribe((events) => {
    if (done || !events.some(match)) return;
    done = true;
    queueMicrotask(() => void fn());
  });
}

async function replayOf(env: ReturnType<typeof testEngine>, runId: string, runner?: { calls: number }) {
  const calls = runner?.calls;
  const { graph: g, events } = env.store.snapshot(runId as RunId);
  const report = await replayRun(runId as RunId, g, events);
  if (runner) expect(runner.calls).toBe(calls);
  return report;
}

const ok = (nodes: number) => ({ matches: true, differences: [], nodesCompared: nodes });

describe('replay', () => {
  it('reproduces retries and an approval, and finds a tampered record', async () => {
    const runner = counting(async (ctx) => ({ output: `${ctx.node.id}` }));
    const g = graph({
      nodes: [
        {
          id: 'gen',
          type: 'llm',
          config: {
            provider: 'mock',
            model: 'm',
            prompt: 'x',
            mock: { reply: 'a b', failTimes: 1, tokensPerSecond: 0 },
          },
          retry: { maxAttempts: 2, jitter: false, backoffMs: 10 },
        },
        { id: 'shout', type: 'transform', config: { template: '{{ $uppercase(nodes.gen.output.text) }}' } },
        { id: 'gate', type: 'approval', config: { title: 'ok?' } },
        code('after'),
      ],
      edges: [e('gen', 'shout'), e('shout', 'gate'), e('gate', 'after')],
    });
    const env = testEngine({ code: runner });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    await env.engine.approve(o.runId as RunId, 'gate', { approved: true, by: 'x' });
    expect(await replayOf(env, o.runId, runner)).toEqual(ok(4));
    const { events } = env.store.snapshot(o.runId as RunId);
    // A transform's output is the engine's own work: a record that says otherwise does not replay.
    const tampered = events.map((x) =>
      x.type === 'node.succeeded' && x.nodeId === 'shout' ? { ...x, data: { ...x.data, output: 'changed' } } : x,
    ) as RunEvent[];
    expect(await replayRun(o.runId as RunId, g, tampered)).toEqual({
      matches: false,
      differences: ['shout: output differs'],
      nodesCompared: 4,
    });
    // A record with an attempt missing does not either.
    const cut = events.filter((x) => x.type !== 'node.retrying');
    expect((await replayRun(o.runId as RunId, g, cut)).matches).toBe(false);
  });

  it('a cancel while nodes run: the running one is aborted again, the one that never started is not started', async () => {
    const runner = sleepy({ slow: 5_000, fast: 100 });
    const g = graph({
      concurrency: 2,
      nodes: [code('a'), code('fast'), code('slow'), code('third'), code('join')],
      edges: [
        e('a', 'fast'),
        e('a', 'slow'),
        e('a', 'third'),
        e('fast', 'join'),
        e('slow', 'join'),
        e('third', 'join'),
      ],
    });
    const env = testEngine({ code: runner });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    when(
      env,
      (x) => x.type === 'node.succeeded' && x.nodeId === 'fast',
      () => env.engine.cancel(runId),
    );
    expect((await env.engine.drive(runId)).status).toBe('cancelled');
    expect(
      env.store
        .snapshot(runId)
        .events.filter((x) => x.type === 'node.cancelled')
        .map((x) => x.nodeId)
        .sort(),
    ).toEqual(['join', 'slow', 'third']);
    expect(await replayOf(env, runId, runner)).toEqual(ok(5));
  });

  it('a pause while a node runs, then resume', async () => {
    const runner = sleepy({ b: 1_000 });
    const g = graph({ nodes: [code('a'), code('b'), code('c')], edges: [e('a', 'b'), e('b', 'c')] });
    const env = testEngine({ code: runner });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    when(
      env,
      (x) => x.type === 'node.started' && x.nodeId === 'b',
      () => env.engine.pause(runId),
    );
    expect((await env.engine.drive(runId)).status).toBe('paused');
    expect((await env.engine.resume(runId)).status).toBe('succeeded');
    expect(await replayOf(env, runId, runner)).toEqual(ok(3));
  });

  it('a run waiting at an approval, paused by a person, then cancelled', async () => {
    const g = graph({
      nodes: [code('a'), { id: 'gate', type: 'approval', config: { title: 'ok?' } }, code('after')],
      edges: [e('a', 'gate'), e('gate', 'after')],
    });
    const runner = counting(async (ctx) => ({ output: ctx.node.id }));
    const env = testEngine({ code: runner });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('waiting');
    expect(await env.engine.pause(o.runId as RunId)).toMatchObject({ status: 'paused' });
    expect(await env.engine.cancel(o.runId as RunId)).toMatchObject({ status: 'cancelled' });
    expect(await replayOf(env, o.runId, runner)).toEqual(ok(3));
  });

  it('a failed run whose node a person retried until it succeeded', async () => {
    let failures = 2;
    const runner = counting(async (ctx) => {
      if (ctx.node.id === 'flaky' && failures-- > 0) throw new NodeFailure('code', 'boom');
      return { output: ctx.node.id };
    });
    const g = graph({
      nodes: [code('a'), code('flaky'), code('after')],
      edges: [e('a', 'flaky'), e('flaky', 'after')],
    });
    const env = testEngine({ code: runner });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('failed');
    expect((await env.engine.retry(o.runId as RunId, 'flaky')).status).toBe('failed');
    expect((await env.engine.retry(o.runId as RunId, 'flaky')).status).toBe('succeeded');
    expect(await replayOf(env, o.runId, runner)).toEqual(ok(3));
  });

  it('a killed process: an unsafe node in doubt, retried by a person; another run resolved by hand', async () => {
    const runner = counting(async (ctx) => ({ output: `${ctx.node.id}#${ctx.attempt}` }));
    const g = graph({
      nodes: [code('a'), code('pay', { sideEffect: 'unsafe' }), code('c')],
      edges: [e('a', 'pay'), e('pay', 'c')],
    });
    for (const decide of ['retry', 'resolve'] as const) {
      const first = testEngine({ code: runner });
      const o = await first.engine.start(g, {}, { graphHash: 'h' });
      const all = first.store.snapshot(o.runId as RunId).events;
      const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.started' && x.nodeId === 'pay', {
        code: runner,
      });
      expect(await second.engine.resume(o.runId as RunId)).toMatchObject({ status: 'waiting', waitingFor: ['pay'] });
      const done =
        decide === 'retry'
          ? await second.engine.retry(o.runId as RunId, 'pay')
          : await second.engine.resolve(o.runId as RunId, 'pay', 'paid by hand');
      expect(done.status).toBe('succeeded');
      expect(await replayOf(second, o.runId, runner)).toEqual(ok(3));
    }
  });

  it('a process killed mid-run: pure nodes in flight run again with the same attempt', async () => {
    const runner = sleepy({ b: 500 });
    const g = graph({
      nodes: [code('a'), code('b'), { id: 'wait', type: 'delay', config: { ms: 2_000 } }, code('c')],
      edges: [e('a', 'b'), e('a', 'wait'), e('b', 'c'), e('wait', 'c')],
    });
    const first = testEngine({ code: runner });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.started' && x.nodeId === 'b', {
      code: runner,
    });
    expect((await second.engine.resume(o.runId as RunId)).status).toBe('succeeded');
    expect(await replayOf(second, o.runId, runner)).toEqual(ok(4));
  });

  it('a process killed between queueing an unsafe node and starting it, after a delay ended', async () => {
    const runner = sleepy({ draft: 300 });
    const g = graph({
      nodes: [
        code('start'),
        code('draft'),
        { id: 'pause', type: 'delay', config: { ms: 150 } },
        code('notify', { sideEffect: 'unsafe' }),
        code('join'),
      ],
      edges: [e('start', 'draft'), e('start', 'pause'), e('draft', 'notify'), e('notify', 'join'), e('pause', 'join')],
    });
    const first = testEngine({ code: runner });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.queued' && x.nodeId === 'notify', {
      code: runner,
    });
    expect((await second.engine.resume(o.runId as RunId)).status).toBe('succeeded');
    expect(await replayOf(second, o.runId, runner)).toEqual(ok(5));
  });

  it('a process killed after a delay ended between queueing an unsafe node and starting it (a loaded machine)', async () => {
    // On a loaded machine the driver hands its host a turn (when it held it for 10 ms without one
    // coming on its own) between queueing notify and starting it, and the delay's timer fires in
    // that turn: the record says draft succeeded,
    // notify queued, pause succeeded, KILL. The replay (a simulated clock, no turns) starts notify
    // at once and ends the delay later: at the kill's point its notify had started, which a
    // replay that keeps everything it committed turned into an in-doubt the record never had.
    const runner = sleepy({ draft: 300 });
    const g = graph({
      nodes: [
        code('start'),
        code('draft'),
        { id: 'pause', type: 'delay', config: { ms: 400 } },
        code('notify', { sideEffect: 'unsafe' }),
        code('join'),
      ],
      edges: [e('start', 'draft'), e('start', 'pause'), e('draft', 'notify'), e('notify', 'join'), e('pause', 'join')],
    });
    const clock = new (class LoadedMachine extends SimClock {
      private readonly t0 = this.now();
      /**
       * The host's turn: the simulated timers due meanwhile fire first (they were scheduled first).
       * So loaded that no turn comes on its own while draft runs: the driver forces one after it.
       */
      turn = (): Promise<void> =>
        this.now() === this.t0 ? new Promise<void>(() => undefined) : new Promise<void>((r) => setTimeout(r, 0));
    })();
    const store = new MemoryStore(() => clock.now());
    const engine = new Engine({ store, clock, runners: { code: runner }, owner: { id: 't' }, controlPollMs: 60_000 });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    const all = store.snapshot(o.runId as RunId).events;
    const order = all.filter((x) => x.nodeId === 'notify' || x.nodeId === 'pause').map((x) => `${x.type}:${x.nodeId}`);
    expect(order.slice(0, 5)).toEqual([
      'node.queued:pause',
      'node.started:pause',
      'node.queued:notify',
      'node.succeeded:pause', // before notify started: the turn
      'node.started:notify',
    ]);
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.succeeded' && x.nodeId === 'pause', {
      code: runner,
    });
    expect((await second.engine.resume(o.runId as RunId)).status).toBe('succeeded');
    expect(await replayOf(second, o.runId, runner)).toEqual(ok(5));
  });

  it('a process killed while a child run waits for approval, resumed, then the child approved', async () => {
    const gated = graph({
      id: 'gated',
      nodes: [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }],
      edges: [],
    });
    const g = graph({
      graphs: { gated },
      nodes: [{ id: 'sub', type: 'subgraph', config: { graph: 'gated' } }],
      edges: [],
    });
    const first = testEngine();
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('waiting');
    const runId = o.runId as RunId;
    const childId = (first.events.find((x) => x.type === 'node.child')!.data as { childRunId: string })
      .childRunId as RunId;
    // The process dies right after the parent recorded its child waiting; a new one resumes it.
    const second = crashAfter(g, runId, first.store.snapshot(runId).events, (x) => x.type === 'node.waiting');
    const kid = first.store.snapshot(childId);
    second.store.seed({
      runId: childId,
      graph: kid.graph,
      graphHash: 'h',
      events: kid.events.map(asNewEvent),
    });
    expect((await second.engine.resume(runId)).status).toBe('waiting');
    await second.engine.approve(childId, 'gate', { approved: true, by: 'ana' });
    for (let i = 0; i < 2000 && second.store.snapshot(runId).events.at(-1)!.type !== 'run.succeeded'; i++)
      await new Promise((r) => setTimeout(r, 1));
    const waits = second.store.snapshot(runId).events.filter((x) => x.type === 'node.waiting');
    expect(waits.length).toBe(2);
    expect(await replayOf(second, runId)).toEqual(ok(1));
  });

  it('a budget pause, a resume that pauses again, then a raised budget', async () => {
    const g: Graph = graph({
      budget: { maxTokens: 3 },
      nodes: [mock('x', 'one two three'), mock('y', 'four five'), mock('z', 'six')],
      edges: [e('x', 'z'), e('y', 'z')],
    });
    const env = testEngine();
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    expect(await env.engine.resume(o.runId as RunId)).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    expect((await env.engine.resume(o.runId as RunId, { budget: { maxTokens: 1_000 } })).status).toBe('succeeded');
    expect(await replayOf(env, o.runId)).toEqual(ok(3));
  });

  it('outcomes come back in the order they were recorded, not the order nodes started', async () => {
    const ms = { w0: 900, w1: 100, w2: 700, w3: 300, w4: 500, w5: 200 };
    const runner = sleepy(ms);
    const workers = Object.keys(ms).map((id) => code(id));
    const g = graph({
      concurrency: 3,
      nodes: [code('in'), ...workers, code('join')],
      edges: [...workers.map((w) => e('in', w.id)), ...workers.map((w) => e(w.id, 'join'))],
    });
    const env = testEngine({ code: runner });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    expect(await replayOf(env, o.runId, runner)).toEqual(ok(8));
  });

  it('compensations after a failure', async () => {
    const runner: NodeRunner & { calls: number } = counting(async (ctx) => {
      if (ctx.node.id === 'ship') throw new NodeFailure('code', 'no truck');
      return { output: `${ctx.node.id}${String(ctx.config['tag'] ?? '')}` };
    });
    const undo = { compensate: { type: 'code' as const, config: { tag: ':undo', code: 'x' } } };
    const g = graph({
      nodes: [code('book', undo), code('charge', undo), code('ship')],
      edges: [e('book', 'charge'), e('charge', 'ship')],
    });
    const env = testEngine({ code: runner });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', compensated: true });
    expect(await replayOf(env, o.runId, runner)).toEqual(ok(3));
  });

  it('refuses a run that has not finished', async () => {
    const g = graph({ nodes: [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }], edges: [] });
    const env = testEngine();
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    const { events } = env.store.snapshot(o.runId as RunId);
    await expect(replayRun(o.runId as RunId, g, events)).rejects.toThrow(AppError);
    await expect(replayRun(o.runId as RunId, g, events)).rejects.toThrow(/is waiting: replay re-drives a finished run/);
  });
});
