/**
 * Composition and a person's controls (docs/composition.md "Child runs"): compensations of
 * children when their parent fails, a child's approval decided from the child run itself, a
 * pause of the parent reaching its running children and a resume continuing them, and a
 * budget spent by children pausing the parent and its children.
 */
import { describe, expect, it } from 'vitest';
import { asNewEvent, type RunEvent } from '../events.js';
import type { Graph, GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import { counting, graph, seqOf, testEngine } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const out = (id: string, value: unknown): GraphNode => ({ id, type: 'output', config: { value } });
const lib = (id: string, nodes: GraphNode[], edges: { id: string; source: string; target: string }[] = []): Graph => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  nodes,
  edges,
});
const childrenOf = (events: RunEvent[], parent: string) =>
  events.filter((x) => x.type === 'run.created' && x.data.parent?.runId === parent).map((x) => x.runId as RunId);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error('condition never met');
}

/**
 * A map of `items` children (a 1 s delay each, two at a time) paused while its first two run:
 * the running delays finish, then the parent and its children are paused.
 */
async function pausedMap(items: number[]) {
  const slow = lib('slow', [{ id: 'wait', type: 'delay', config: { ms: 1000 } }, out('ok', 1)], [e('wait', 'ok')]);
  const env = testEngine({}, { autoClock: false });
  const g = graph({
    graphs: { slow },
    nodes: [{ id: 'each', type: 'map', config: { graph: 'slow', items, concurrency: 2 } }],
    edges: [],
  });
  const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
  const driving = env.engine.drive(runId);
  await until(() => env.events.filter((x) => x.type === 'node.started' && x.nodeId === 'wait').length === 2);
  await env.engine.pause(runId);
  // Running nodes finish (the children's delays), then nothing new starts.
  await until(() => env.events.filter((x) => x.type === 'run.paused').length === 3);
  env.clock.advance(1000);
  expect((await driving).status).toBe('paused');
  return { env, runId };
}

describe('compensation reaches child runs', () => {
  /** A child that books something (undone by its compensate action). */
  const book = lib('book', [
    {
      id: 'reserve',
      type: 'code',
      config: { code: 'x' },
      compensate: { type: 'code', config: { code: 'x', undo: true } },
    },
  ]);
  const runner = () =>
    counting(async (ctx) => {
      if (ctx.node.id === 'pay') throw new Error('card declined');
      if (ctx.config['undo']) return { output: `undo ${String((ctx.scope.input as { item?: number }).item)}` };
      return { output: 'booked' };
    });

  it('a parent that fails undoes the succeeded children of its map, latest first', async () => {
    const env = testEngine({ code: runner() });
    const g = graph({
      graphs: { book },
      nodes: [
        { id: 'each', type: 'map', config: { graph: 'book', items: [1, 2, 3], concurrency: 1 } },
        { id: 'pay', type: 'code', config: { code: 'x' }, retry: { maxAttempts: 1 } },
      ],
      edges: [e('each', 'pay')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', compensated: true, error: { nodeId: 'pay' } });
    const kids = childrenOf(env.events, o.runId);
    expect(kids).toHaveLength(3);
    // Each child is still a succeeded run; its booking was undone, the last item first.
    const undone: RunId[] = [];
    for (const x of env.events)
      if (x.type === 'compensation.succeeded' && kids.includes(x.runId as RunId)) undone.push(x.runId as RunId);
    expect(undone).toEqual([...kids].reverse());
    for (const k of kids) expect((await env.engine.inspect(k)).status).toBe('succeeded');
  });

  it('children with nothing to undo: the failed parent reports no compensation (not "all compensations succeeded")', async () => {
    const plain = lib('plain', [{ id: 'reserve', type: 'code', config: { code: 'x' } }]);
    const env = testEngine({ code: runner() });
    const g = graph({
      graphs: { plain },
      nodes: [
        { id: 'each', type: 'map', config: { graph: 'plain', items: [1, 2] } },
        { id: 'pay', type: 'code', config: { code: 'x' }, retry: { maxAttempts: 1 } },
      ],
      edges: [e('each', 'pay')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('failed');
    expect(o).not.toHaveProperty('compensated');
    const end = env.events.find((x) => x.type === 'run.failed' && x.runId === o.runId)!;
    expect(end.data).not.toHaveProperty('compensated');
  });

  it('a map that fails undoes the items that had succeeded', async () => {
    const env = testEngine({
      code: counting(async (ctx) => {
        const item = (ctx.scope.input as { item: number }).item;
        if (ctx.config['undo']) return { output: `undo ${item}` };
        if (item === 3) throw new Error('item 3 is bad');
        return { output: 'booked' };
      }),
    });
    const g = graph({
      graphs: { book: { ...book, defaults: { retry: { maxAttempts: 1 } } } },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'book', items: [1, 2, 3], concurrency: 1 } }],
      edges: [],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'failed', compensated: true });
    const outputs = env.events.flatMap((x) => (x.type === 'compensation.succeeded' ? [x.data.output] : []));
    expect(outputs).toEqual(['undo 2', 'undo 1']);
  });
});

describe('controls reach child runs', () => {
  const gated = lib(
    'gated',
    [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }, out('done', '{{nodes.gate.output.approved}}')],
    [e('gate', 'done')],
  );

  it('approving the waiting child run itself continues the parent', async () => {
    const env = testEngine({});
    const g = graph({
      graphs: { gated },
      nodes: [{ id: 'sub', type: 'subgraph', config: { graph: 'gated' } }, out('r', '{{nodes.sub.output}}')],
      edges: [e('sub', 'r')],
    });
    const waiting = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(waiting.status).toBe('waiting');
    const [child] = childrenOf(env.events, waiting.runId);
    await env.engine.approve(child!, 'gate', { approved: true, by: 'ana' });
    await until(() => env.events.some((x) => x.type === 'run.succeeded' && x.runId === waiting.runId));
    expect((await env.engine.inspect(waiting.runId as RunId)).result).toEqual({ r: { done: true } });
  });

  it('a pause of the parent pauses its running children; resume continues them to the end', async () => {
    const { env, runId } = await pausedMap([1, 2]);
    const kids = childrenOf(env.events, runId);
    for (const k of kids) expect((await env.engine.inspect(k)).status).toBe('paused');
    const done = await env.engine.resume(runId);
    expect(done.status).toBe('succeeded');
    for (const k of kids) expect(seqOf(env.events.filter((x) => x.runId === k))).toContain('run.succeeded');
  });

  it('a resume handed off (workers) leaves a paused map to the process that takes it: nothing is run here', async () => {
    const { env, runId } = await pausedMap([1, 2, 3, 4]);
    const before = env.events.length;
    const handed = await env.engine.resume(runId, { handOff: true });
    expect(handed).toMatchObject({ runId, status: 'running' });
    // Only the resume was written: no child was resumed or started in this process.
    expect(seqOf(env.events.slice(before))).toEqual(['run.resumed']);
    // The process that takes it (here: a drive) goes on from there to the end.
    let end: string | undefined;
    void env.engine.drive(runId).then((o) => (end = o.status));
    for (let i = 0; i < 200 && end === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
      env.clock.advance(250);
    }
    expect(end).toBe('succeeded');
    expect(childrenOf(env.events, runId)).toHaveLength(4);
    // Handed off, not crashed: the parent's log records no interruption.
    expect(env.events.filter((x) => x.runId === runId).map((x) => x.type)).not.toContain('run.interrupted');
  });

  it("children's tokens spend the parent's budget: the parent and its children pause for it", async () => {
    const talk = lib('talk', [
      {
        id: 'say',
        type: 'llm',
        config: {
          provider: 'mock',
          model: 'm',
          prompt: 'hi',
          mock: { reply: 'one two three four', tokensPerSecond: 0 },
        },
      },
    ]);
    const env = testEngine({});
    const g = graph({
      graphs: { talk },
      budget: { maxTokens: 12 },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'talk', items: [1, 2, 3, 4, 5], concurrency: 1 } }],
      edges: [],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    const state = await env.engine.inspect(o.runId as RunId);
    expect(state.tokens).toBeGreaterThanOrEqual(12);
    const kids = childrenOf(env.events, o.runId);
    const last = await env.engine.inspect(kids.at(-1)!);
    expect(last).toMatchObject({ status: 'paused', pauseReason: 'budget' });
    const done = await env.engine.resume(o.runId as RunId, { budget: { maxTokens: 1000 } });
    expect(done.status).toBe('succeeded');
    expect(childrenOf(env.events, o.runId)).toHaveLength(5);
  });
});

describe('where a child run waits, however deep', () => {
  const gated = lib('gated', [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }]);

  it('a gate two subgraphs down is reported in the run that holds it, and decided from the top by its id', async () => {
    const inner = lib('inner', [{ id: 'deep', type: 'subgraph', config: { graph: 'gated' } }]);
    const env = testEngine({});
    const g = graph({
      graphs: { gated, inner },
      nodes: [{ id: 'outer', type: 'subgraph', config: { graph: 'inner' } }, out('r', 1)],
      edges: [e('outer', 'r')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('waiting');
    const top = o.runId as RunId;
    const [mid] = childrenOf(env.events, top);
    const [leaf] = childrenOf(env.events, mid!);
    const waits = (await env.engine.inspect(top)).nodes.get('outer' as never)!.waitingChildren;
    expect(waits).toEqual([{ runId: leaf, nodeIds: ['gate'], via: mid }]);
    expect((await env.engine.approve(top, 'gate', { approved: true })).status).toBe('succeeded');
    expect((await env.engine.inspect(top)).status).toBe('succeeded');
  });

  it('an unsafe node in doubt in a child is reported in doubt, and retried from the parent by its id', async () => {
    const runner = counting(async () => ({ output: { status: 200 } }));
    const pay = lib('pay', [{ id: 'charge', type: 'http', config: { method: 'POST', url: 'http://127.0.0.1:1/x' } }]);
    const first = testEngine({ http: runner });
    const g = graph({ graphs: { pay }, nodes: [{ id: 'sub', type: 'subgraph', config: { graph: 'pay' } }], edges: [] });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    // The process died while the POST was in flight: the child's log ends at its start.
    const top = o.runId as RunId;
    const [child] = childrenOf(first.events, top);
    const cut = (runId: RunId, keep: (x: RunEvent) => boolean) => {
      const all = first.store.snapshot(runId).events;
      return all.slice(0, all.findIndex(keep) + 1);
    };
    const second = testEngine({ http: runner });
    const childGraph = (await first.store.loadRun(child!)).graph;
    second.store.seed({
      runId: top,
      graph: g,
      graphHash: 'h',
      events: cut(top, (x) => x.type === 'node.child').map(asNewEvent),
    });
    const inFlight = cut(child!, (x) => x.type === 'node.started' && x.nodeId === 'charge');
    second.store.seed({ runId: child!, graph: childGraph, graphHash: 'h', events: inFlight.map(asNewEvent) });
    const resumed = await second.engine.resume(top);
    expect(resumed.status).toBe('waiting');
    const waits = (await second.engine.inspect(top)).nodes.get('sub' as never)!.waitingChildren;
    expect(waits).toEqual([{ runId: child, nodeIds: ['charge'], inDoubt: ['charge'] }]);
    const calls = runner.calls;
    expect((await second.engine.retry(top, 'charge')).status).toBe('succeeded');
    expect(runner.calls - calls).toBe(1);
    expect((await second.engine.inspect(top)).status).toBe('succeeded');
  });

  it('a node in doubt in several children of a map is not guessed: retry and resolve from the parent are refused with their own command', async () => {
    const runner = counting(async () => ({ output: { status: 200 } }));
    const pay = lib('pay', [{ id: 'charge', type: 'http', config: { method: 'POST', url: 'http://127.0.0.1:1/x' } }]);
    const first = testEngine({ http: runner });
    const g = graph({
      graphs: { pay },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'pay', items: [1, 2], concurrency: 2 } }],
      edges: [],
    });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    // The process died while both POSTs were in flight: each child's log ends at its start.
    const top = o.runId as RunId;
    const kids = childrenOf(first.events, top);
    expect(kids).toHaveLength(2);
    const second = testEngine({ http: runner });
    const all = first.store.snapshot(top).events;
    const lastChild = all.map((x) => x.type).lastIndexOf('node.child');
    second.store.seed({ runId: top, graph: g, graphHash: 'h', events: all.slice(0, lastChild + 1).map(asNewEvent) });
    for (const kid of kids) {
      const evs = first.store.snapshot(kid).events;
      const cut = evs.slice(0, evs.findIndex((x) => x.type === 'node.started' && x.nodeId === 'charge') + 1);
      second.store.seed({
        runId: kid,
        graph: (await first.store.loadRun(kid)).graph,
        graphHash: 'h',
        events: cut.map(asNewEvent),
      });
    }
    expect((await second.engine.resume(top)).status).toBe('waiting');
    await expect(second.engine.retry(top, 'charge')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        /^node charge waits in 2 child runs of run .*: decide it in the one you mean \(statepipe retry CHILD_RUN_ID charge\)$/,
      ) as unknown,
    });
    await expect(second.engine.resolve(top, 'charge', { status: 200 })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('(runs.resolve with runId CHILD_RUN_ID and nodeId charge)') as unknown,
    });
    // In the child meant, the retry goes.
    await second.engine.retry(kids[0]!, 'charge');
    expect((await second.engine.inspect(kids[0]!)).status).toBe('succeeded');
  });
});

describe('a map item cancelled by itself', () => {
  it('fails the map at once (onItemError fail) and cancels the items still waiting: nobody is asked to decide them', async () => {
    const gated = lib('gated', [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }]);
    const env = testEngine({});
    const g = graph({
      graphs: { gated },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'gated', items: [1, 2, 3] } }],
      edges: [],
    });
    const waiting = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(waiting.status).toBe('waiting');
    const parent = waiting.runId as RunId;
    const kids = childrenOf(env.events, parent);
    expect(kids).toHaveLength(3);
    await env.engine.cancel(kids[2]!);
    expect((await env.engine.inspect(parent)).status).toBe('failed');
    for (const k of kids) expect((await env.engine.inspect(k)).status, k).toBe('cancelled');
  });
});

describe('a cancel of the parent reaches every child that has not ended', () => {
  const gated = lib(
    'gated',
    [
      { id: 'gate', type: 'approval', config: { title: 'ok?' } },
      { id: 'charge', type: 'http', config: { method: 'POST', url: 'http://127.0.0.1:1/charge' } },
    ],
    [e('gate', 'charge')],
  );

  it('a gate two subgraphs down: the cancel of the top cancels both children; the gate can no longer be approved, nothing is charged', async () => {
    const charge = counting(async () => ({ output: { status: 200 } }));
    const inner = lib('inner', [{ id: 'deep', type: 'subgraph', config: { graph: 'gated' } }]);
    const env = testEngine({ http: charge });
    const g = graph({
      graphs: { gated, inner },
      nodes: [{ id: 'outer', type: 'subgraph', config: { graph: 'inner' } }, out('r', 1)],
      edges: [e('outer', 'r')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('waiting');
    const top = o.runId as RunId;
    const [mid] = childrenOf(env.events, top);
    const [leaf] = childrenOf(env.events, mid!);
    await env.engine.cancel(top);
    for (const id of [top, mid!, leaf!]) expect((await env.engine.inspect(id)).status, id).toBe('cancelled');
    await expect(env.engine.approve(leaf!, 'gate', { approved: true })).rejects.toThrow();
    expect(charge.calls).toBe(0);
  });

  it('a map whose items wait at their gates: every item is cancelled with it', async () => {
    const env = testEngine({ http: counting(async () => ({ output: { status: 200 } })) });
    const g = graph({
      graphs: { gated },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'gated', items: [1, 2, 3] } }],
      edges: [],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('waiting');
    const parent = o.runId as RunId;
    const kids = childrenOf(env.events, parent);
    expect(kids).toHaveLength(3);
    await env.engine.cancel(parent);
    expect((await env.engine.inspect(parent)).status).toBe('cancelled');
    for (const k of kids) expect((await env.engine.inspect(k)).status, k).toBe('cancelled');
  });

  it('a paused map: its paused children are cancelled with it', async () => {
    const { env, runId } = await pausedMap([1, 2, 3, 4]);
    const kids = childrenOf(env.events, runId);
    expect(kids.length).toBeGreaterThan(0);
    await env.engine.cancel(runId);
    expect((await env.engine.inspect(runId)).status).toBe('cancelled');
    for (const k of kids) expect((await env.engine.inspect(k)).status, k).toBe('cancelled');
  });
});
