import { describe, expect, it } from 'vitest';
import { asNewEvent, type RunEvent } from '../events.js';
import type { Graph, GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import { realClock } from './clock.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { counting, graph, nodeSeq, seqOf, testEngine } from './test-kit.js';

/** A template that never ends (JSONata recursion without a base case). */
const LOOP = '($f := function($x){ $f($x + 1) }; $f(1))';

const input: GraphNode = { id: 'in', type: 'input', config: {} };
const code = (id: string, extra: Partial<GraphNode> = {}): GraphNode => ({
  id,
  type: 'code',
  config: { code: `return '${id}'` },
  ...extra,
});
const e = (source: string, target: string, when?: boolean) => ({
  id: `${source}-${target}`,
  source,
  target,
  ...(when === undefined ? {} : { when }),
});
const echo = () => counting(async (ctx) => ({ output: `${ctx.node.id}${ctx.config['tag'] ?? ''}` }));

function approvalGraph(withNoBranch: boolean): Graph {
  return graph({
    nodes: [
      input,
      { id: 'gate', type: 'approval', config: { title: 'Ship {{input.what}}?' } },
      code('ship'),
      ...(withNoBranch ? [code('archive')] : []),
    ],
    edges: [e('in', 'gate'), e('gate', 'ship', true), ...(withNoBranch ? [e('gate', 'archive', false)] : [])],
  });
}

describe('approvals', () => {
  it('waits durably, then approved continues', async () => {
    const { engine, events } = testEngine({ code: echo() });
    const o = await engine.start(approvalGraph(false), { what: 'v2' }, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'waiting', waitingFor: ['gate'] });
    expect(events.find((x) => x.type === 'approval.requested')!.data).toEqual({ title: 'Ship v2?' });
    expect(seqOf(events).at(-1)).toBe('run.waiting');
    const done = await engine.approve(o.runId as RunId, 'gate', {
      approved: true,
      by: 'ana',
      comment: 'fine',
      data: { n: 1 },
    });
    expect(done.status).toBe('succeeded');
    expect(nodeSeq(events, 'gate')).toEqual([
      'node.queued',
      'node.started',
      'approval.requested',
      'approval.granted',
      'node.succeeded',
    ]);
    expect(events.find((x) => x.type === 'node.succeeded' && x.nodeId === 'gate')!.data).toMatchObject({
      output: { approved: true, by: 'ana', comment: 'fine', data: { n: 1 } },
    });
    const tail = seqOf(events).slice(seqOf(events).indexOf('approval.granted:gate'));
    expect(tail).toEqual([
      'approval.granted:gate',
      'node.succeeded:gate',
      'node.queued:ship',
      'run.resumed',
      'node.started:ship',
      'node.succeeded:ship',
      'run.succeeded',
    ]);
  });

  it('rejected without a false branch fails the node and the run', async () => {
    const { engine, events } = testEngine({ code: echo() });
    const o = await engine.start(approvalGraph(false), { what: 'v2' }, { graphHash: 'h' });
    const done = await engine.approve(o.runId as RunId, 'gate', { approved: false, comment: 'no' });
    expect(done).toMatchObject({ status: 'failed', error: { kind: 'rejected', nodeId: 'gate' } });
    expect(nodeSeq(events, 'gate').slice(-2)).toEqual(['approval.rejected', 'node.failed']);
    expect(nodeSeq(events, 'ship')).toEqual(['node.skipped']);
  });

  it('rejected with a false branch takes it', async () => {
    const { engine, events } = testEngine({ code: echo() });
    const o = await engine.start(approvalGraph(true), { what: 'v2' }, { graphHash: 'h' });
    const done = await engine.approve(o.runId as RunId, 'gate', { approved: false });
    expect(done.status).toBe('succeeded');
    expect(nodeSeq(events, 'ship')).toEqual(['node.skipped']);
    expect(nodeSeq(events, 'archive').at(-1)).toBe('node.succeeded');
  });

  it('handOff records the decision and leaves the run to another driver, which finishes it', async () => {
    const run = echo();
    const { engine, events } = testEngine({ code: run });
    const o = await engine.start(approvalGraph(false), { what: 'v2' }, { graphHash: 'h' });
    const id = o.runId as RunId;
    const handed = await engine.approve(id, 'gate', { approved: true }, { handOff: true });
    expect(handed.status).toBe('running');
    expect(seqOf(events).slice(-3)).toEqual(['node.succeeded:gate', 'node.queued:ship', 'run.resumed']);
    expect(nodeSeq(events, 'ship')).toEqual(['node.queued']); // nothing started here
    expect((await engine.drive(id)).status).toBe('succeeded');
    expect(nodeSeq(events, 'ship')).toEqual(['node.queued', 'node.started', 'node.succeeded']);
    // A rejection that ends the run ends it in the hand-off itself: nothing is left for a worker.
    const r = await engine.start(approvalGraph(false), { what: 'v3' }, { graphHash: 'h' });
    const rejected = await engine.approve(r.runId as RunId, 'gate', { approved: false }, { handOff: true });
    expect(rejected.status).toBe('failed');
  });

  it('refuses illegal transitions and changes nothing', async () => {
    const { engine, store } = testEngine({ code: echo() });
    const o = await engine.start(approvalGraph(false), { what: 'v2' }, { graphHash: 'h' });
    const before = store.snapshot(o.runId as RunId).events.length;
    await expect(engine.approve(o.runId as RunId, 'ship', { approved: true })).rejects.toThrow(
      /not waiting for approval/,
    );
    expect(store.snapshot(o.runId as RunId).events.length).toBe(before);
    await engine.approve(o.runId as RunId, 'gate', { approved: true });
    await expect(engine.resume(o.runId as RunId)).rejects.toThrow(/succeeded and cannot be resumed/);
    await expect(engine.approve(o.runId as RunId, 'gate', { approved: true })).rejects.toThrow(/not waiting/);
  });
});

describe('pause, resume, cancel', () => {
  const wide = () => {
    const nodes: GraphNode[] = [input];
    const edges = [];
    for (let i = 0; i < 6; i++) {
      nodes.push({ id: `d${i}`, type: 'delay', config: { ms: 1000 } });
      edges.push(e('in', `d${i}`));
    }
    return graph({ nodes, edges, concurrency: 2 });
  };

  const ticks = () => new Promise((r) => setTimeout(r, 5));

  it('pause lets running nodes finish and starts no new one; resume runs to the end', async () => {
    const { engine, events, clock } = testEngine({}, { autoClock: false });
    const runId = await engine.createRun(wide(), {}, { graphHash: 'h' });
    const driving = engine.drive(runId);
    await ticks();
    await engine.pause(runId);
    clock.advance(1000);
    await ticks();
    const paused = await driving;
    expect(paused).toMatchObject({ status: 'paused', pauseReason: 'user' });
    const startedBeforeResume = events.filter((x) => x.type === 'node.started').length;
    expect(startedBeforeResume).toBe(3); // in + 2 delays already running
    const pausedAt = events.findIndex((x) => x.type === 'run.paused');
    expect(events.slice(pausedAt).filter((x) => x.type === 'node.started')).toHaveLength(0);
    expect(events.slice(pausedAt).filter((x) => x.type === 'node.succeeded')).toHaveLength(2);
    const resumed = engine.resume(runId);
    for (let i = 0; i < 3; i++) {
      await ticks();
      clock.advance(1000);
    }
    expect((await resumed).status).toBe('succeeded');
    expect(events.filter((x) => x.type === 'node.succeeded')).toHaveLength(7);
  });

  it('resume while the paused run still has nodes running: the same driver goes on to the end', async () => {
    const { engine, events, clock } = testEngine({}, { autoClock: false });
    const runId = await engine.createRun(wide(), {}, { graphHash: 'h' });
    const driving = engine.drive(runId);
    await ticks();
    await engine.pause(runId);
    expect((await engine.inspect(runId)).status).toBe('paused');
    expect(await engine.resume(runId)).toMatchObject({ status: 'running' }); // two delays still in flight
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      await ticks();
    }
    expect((await driving).status).toBe('succeeded');
    expect(seqOf(events).filter((x) => x.startsWith('run.'))).toEqual([
      'run.created',
      'run.started',
      'run.paused',
      'run.resumed',
      'run.succeeded',
    ]);
    expect(events.filter((x) => x.type === 'node.succeeded')).toHaveLength(7);
  });

  it('cancel aborts running nodes and cancels the rest', async () => {
    const { engine, events } = testEngine({}, { autoClock: false });
    const runId = await engine.createRun(wide(), {}, { graphHash: 'h' });
    const driving = engine.drive(runId);
    await ticks();
    await engine.cancel(runId);
    const o = await driving;
    expect(o.status).toBe('cancelled');
    expect(
      events
        .filter((x) => x.type === 'node.cancelled')
        .map((x) => x.nodeId)
        .sort(),
    ).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
    expect(seqOf(events).at(-1)).toBe('run.cancelled');
  });

  it('a cancel, pause or decision that comes while the driver is stopping (its last write going out) is not dropped', async () => {
    for (const action of ['cancel', 'pause', 'approve'] as const) {
      const env = testEngine({ code: echo() });
      // The write that leaves the run waiting takes a while, as an fsync does.
      let reached!: () => void;
      const atGate = new Promise<void>((r) => (reached = r));
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const append = env.store.append.bind(env.store);
      env.store.append = async (runId, events, fence) => {
        if (events.some((x) => x.type === 'approval.requested')) {
          reached();
          await gate;
        }
        return append(runId, events, fence);
      };
      const runId = await env.engine.createRun(approvalGraph(false), { what: 'x' }, { graphHash: 'h' });
      const driving = env.engine.drive(runId);
      await atGate; // the driver has stopped: the run waits, its write not yet done
      const acting =
        action === 'cancel'
          ? env.engine.cancel(runId)
          : action === 'pause'
            ? env.engine.pause(runId)
            : env.engine.approve(runId, 'gate', { approved: true });
      await new Promise((r) => setTimeout(r, 5));
      open();
      expect((await driving).status).toBe('waiting');
      await acting;
      const expected = { cancel: 'cancelled', pause: 'paused', approve: 'succeeded' }[action];
      expect((await env.engine.inspect(runId)).status, action).toBe(expected);
    }
  });

  it('budget: the run pauses before a model call past the budget; raising it resumes', async () => {
    const llm = (id: string): GraphNode => ({
      id,
      type: 'llm',
      config: { provider: 'mock', model: 'm', prompt: 'x', mock: { reply: 'a b c d e', tokensPerSecond: 0 } },
    });
    const g = graph({ nodes: [llm('a'), llm('b')], edges: [e('a', 'b')], budget: { maxTokens: 5 } });
    const { engine, events } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    expect(seqOf(events).slice(-2)).toEqual(['budget.exceeded:b', 'run.paused']);
    expect(nodeSeq(events, 'b')).toEqual(['node.queued', 'budget.exceeded']);
    const done = await engine.resume(o.runId as RunId, { budget: { maxTokens: 100 } });
    expect(done.status).toBe('succeeded');
  });

  it('budget: of two resumes at once with budgets, one takes the run; the other is refused, never silently dropped', async () => {
    const slow: GraphNode = {
      id: 'b',
      type: 'llm',
      config: { provider: 'mock', model: 'm', prompt: 'x', mock: { reply: 'a b c d e', tokensPerSecond: 50 } },
    };
    const first: GraphNode = {
      ...slow,
      id: 'a',
      config: { ...slow.config, mock: { reply: 'a b c d e', tokensPerSecond: 0 } },
    };
    const g = graph({ nodes: [first, slow], edges: [e('a', 'b')], budget: { maxTokens: 5 } });
    const { engine } = testEngine({}, { autoClock: true });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    const runId = o.runId as RunId;
    const results = await Promise.allSettled([
      engine.resume(runId, { budget: { maxTokens: 100 } }),
      engine.resume(runId, { budget: { maxTokens: 200 } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/budget was not changed/),
    });
    const budgets = (await engine.inspect(runId)).budget;
    expect(budgets.maxTokens).toBe(100);
  });
});

describe('compensation', () => {
  const sagaGraph = () =>
    graph({
      nodes: [
        code('book', { compensate: { type: 'code', config: { tag: ':undo', code: 'x' } } }),
        code('charge', { compensate: { type: 'code', config: { tag: ':undo', code: 'x' } } }),
        code('ship', { retry: { maxAttempts: 1 } }),
      ],
      edges: [e('book', 'charge'), e('charge', 'ship')],
    });
  const failingShip = () =>
    counting(async (ctx) => {
      if (ctx.node.id === 'ship') throw Object.assign(new Error('no truck'), { name: 'Error' });
      return { output: `${ctx.node.id}${ctx.config['tag'] ?? ''}` };
    });

  it('runs compensations of succeeded nodes in reverse completion order, then fails the run', async () => {
    const runner = failingShip();
    const { engine, events } = testEngine({ code: runner });
    const o = await engine.start(sagaGraph(), {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', compensated: true, error: { nodeId: 'ship' } });
    expect(seqOf(events).filter((s) => s.startsWith('compensation'))).toEqual([
      'compensation.started:charge',
      'compensation.succeeded:charge',
      'compensation.started:book',
      'compensation.succeeded:book',
    ]);
    const failed = events.find((x) => x.type === 'run.failed')!;
    expect(failed.data).toMatchObject({ compensated: true });
  });

  it('a crash during compensation resumes it without repeating finished compensations', async () => {
    const runner = failingShip();
    const first = testEngine({ code: runner });
    const o = await first.engine.start(sagaGraph(), {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId);
    const cut = all.events.findIndex((x) => x.type === 'compensation.started' && x.nodeId === 'book');
    // A new process finds the log as it was when the first one died (after charge was compensated).
    const second = testEngine({ code: runner });
    const kept = all.events.slice(0, cut + 1).map(asNewEvent);
    second.store.createRun({ runId: o.runId as RunId, graph: all.graph, graphHash: 'h', events: kept });
    const before = runner.calls;
    const done = await second.engine.resume(o.runId as RunId);
    expect(done).toMatchObject({ status: 'failed', compensated: true });
    expect(runner.calls - before).toBe(1); // only book's compensation ran again
    expect(seqOf(second.events).filter((s) => s.startsWith('compensation') || s.startsWith('run.'))).toEqual([
      'run.interrupted',
      'run.resumed',
      'compensation.started:book',
      'compensation.succeeded:book',
      'run.failed',
    ]);
  });
});

describe('rerun, retry, replay', () => {
  it('rerun --from reuses upstream outputs: zero calls upstream', async () => {
    const runner = echo();
    const g = graph({ nodes: [code('a'), code('b'), code('c')], edges: [e('a', 'b'), e('b', 'c')] });
    const { engine, events } = testEngine({ code: runner });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(runner.calls).toBe(3);
    const { runId } = await engine.rerun(o.runId as RunId, 'b');
    const done = await engine.drive(runId);
    expect(done.status).toBe('succeeded');
    expect(runner.calls).toBe(5);
    const rerunEvents = events.filter((x) => x.runId === runId);
    expect(nodeSeq(rerunEvents, 'a')).toEqual(['node.succeeded']);
    expect(rerunEvents.find((x) => x.nodeId === 'a')!.data).toMatchObject({ reusedFrom: o.runId, output: 'a' });
  });

  it('rerun --from with reuse keeps the named downstream outputs and runs the rest', async () => {
    const runner = echo();
    const g = graph({
      nodes: [code('a'), code('b'), code('c'), code('d')],
      edges: [e('a', 'b'), e('b', 'c'), e('b', 'd')],
    });
    const { engine, events } = testEngine({ code: runner });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(runner.calls).toBe(4);
    await expect(engine.rerun(o.runId as RunId, 'b', { reuse: ['b'] })).rejects.toThrow(/cannot also reuse/);
    const { runId } = await engine.rerun(o.runId as RunId, 'b', { reuse: ['c'] });
    const done = await engine.drive(runId);
    expect(done.status).toBe('succeeded');
    expect(runner.calls).toBe(6); // b and d ran again; a and c were reused
    const rerunEvents = events.filter((x) => x.runId === runId);
    expect(nodeSeq(rerunEvents, 'c')).toEqual(['node.succeeded']);
    expect(rerunEvents.find((x) => x.nodeId === 'c')!.data).toMatchObject({ reusedFrom: o.runId, output: 'c' });
    expect(nodeSeq(rerunEvents, 'd')).toEqual(['node.queued', 'node.started', 'node.succeeded']);
  });

  it('retry of a failed node continues the failed run without re-running upstream', async () => {
    let broken = true;
    const runner = counting(async (ctx) => {
      if (ctx.node.id === 'b' && broken) throw new Error('down');
      return { output: ctx.node.id };
    });
    const g = graph({ nodes: [code('a'), code('b'), code('c')], edges: [e('a', 'b'), e('b', 'c')] });
    const { engine, events } = testEngine({ code: runner });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('failed');
    broken = false;
    const done = await engine.retry(o.runId as RunId, 'b');
    expect(done.status).toBe('succeeded');
    expect(nodeSeq(events, 'a')).toEqual(['node.queued', 'node.started', 'node.succeeded']);
    expect(nodeSeq(events, 'c')).toEqual([
      'node.skipped',
      'node.reset',
      'node.queued',
      'node.started',
      'node.succeeded',
    ]);
    expect(seqOf(events)).toContain('run.retried');
  });
});

describe('spend of failed attempts', () => {
  it('tokens of a reply that broke its schema count toward the run and its budget', async () => {
    const llm = (id: string, reply: unknown, extra: Record<string, unknown> = {}): GraphNode => ({
      id,
      type: 'llm',
      config: { provider: 'mock', model: 'm', prompt: 'x', mock: { reply, tokensPerSecond: 0 }, ...extra },
      retry: { maxAttempts: 2, backoffMs: 1, jitter: false },
    });
    // `bad` answers text that is not JSON twice (5 output tokens each time), then fails; `next` would need budget.
    const g = graph({
      nodes: [llm('bad', 'one two three four five', { outputSchema: { type: 'object' } }), llm('next', 'ok')],
      edges: [],
      budget: { maxTokens: 12 },
      concurrency: 1,
    });
    const { engine, events } = testEngine();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    const retry = events.find((x) => x.type === 'node.retrying')!;
    expect(retry.data).toMatchObject({ usage: { outputTokens: 5 } });
    const failed = events.find((x) => x.type === 'node.failed')!;
    expect(failed.data).toMatchObject({ usage: { outputTokens: 5 } });
    const state = await engine.inspect(o.runId as RunId);
    expect(state.tokens).toBeGreaterThanOrEqual(12);
    // The budget stopped `next` from calling the model.
    expect(nodeSeq(events, 'next')).not.toContain('node.started');
  });
});

describe('cancel while a node renders its config', () => {
  it('ends a template that does not end with the cancel, long before its time limit', async () => {
    const engine = new Engine({
      store: new MemoryStore(),
      clock: realClock,
      runners: {},
      owner: { id: 'test' },
      controlPollMs: 60_000,
    });
    const events: RunEvent[] = [];
    engine.subscribe((es) => events.push(...es));
    const spin = graph({
      nodes: [input, { id: 'spin', type: 'transform', timeoutMs: 20_000, config: { template: `{{${LOOP}}}` } }],
      edges: [e('in', 'spin')],
    });
    const runId = await engine.createRun(spin, {}, { graphHash: 'h' });
    const t0 = Date.now();
    const driving = engine.drive(runId);
    await new Promise((r) => setTimeout(r, 100));
    await engine.cancel(runId);
    const o = await driving;
    expect(o.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(nodeSeq(events, 'spin')).toEqual(['node.queued', 'node.cancelled']);
  });
});
