/**
 * Composition: subgraph, map and loop nodes running child runs (docs/composition.md), on the
 * in-memory store and a simulated clock: outputs, durability across crashes, retries reusing
 * finished children, approvals inside children, pause/cancel reaching them, budgets.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import type { Graph, GraphNode } from '../graph/schema.js';
import { validateGraph } from '../graph/validate.js';
import { NodeFailure, type AppError } from '../errors.js';
import { childRunId, type RunId } from '../ids.js';
import { counting, crashAfter, graph, testEngine } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const out = (id: string, value: unknown): GraphNode => ({ id, type: 'output', config: { value } });

/** A child graph: doubles `input.item` through a code node. */
const double: Graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'double',
  nodes: [{ id: 'calc', type: 'code', config: { code: 'x' } }, out('value', '{{nodes.calc.output}}')],
  edges: [e('calc', 'value')],
};

/** The code runner of the child: doubles the item, fails on the items listed in `bad`. */
function doubler(bad: Set<number> = new Set()) {
  return counting(async (ctx) => {
    const item = (ctx.scope.input as { item: number }).item;
    if (bad.has(item)) throw new Error(`item ${item} is bad`);
    return { output: item * 2 };
  });
}

const mapGraph = (items: unknown, extra: Record<string, unknown> = {}) =>
  graph({
    graphs: { double },
    nodes: [
      { id: 'each', type: 'map', config: { graph: 'double', items, concurrency: 3, ...extra } },
      out('r', '{{nodes.each.output}}'),
    ],
    edges: [e('each', 'r')],
  });

const childEvents = (events: RunEvent[], parent: string) =>
  events.filter((x) => x.type === 'run.created' && x.data.parent?.runId === parent) as Extract<
    RunEvent,
    { type: 'run.created' }
  >[];

describe('map', () => {
  it('runs one child per item, results in item order, each child linked to its parent', async () => {
    const code = doubler();
    const env = testEngine({ code });
    const o = await env.engine.start(mapGraph([1, 2, 3, 4, 5]), {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    const result = (o.result as { r: { results: unknown[]; succeeded: number; failed: number } }).r;
    expect(result.results).toEqual([{ value: 2 }, { value: 4 }, { value: 6 }, { value: 8 }, { value: 10 }]);
    expect(result).toMatchObject({ succeeded: 5, failed: 0, errors: [] });
    const children = childEvents(env.events, o.runId);
    expect(children).toHaveLength(5);
    expect(children.map((c) => c.data.parent!.key).sort()).toEqual([0, 1, 2, 3, 4]);
    // The parent committed each child's (deterministic) id before the child existed.
    const parentLog = env.store.snapshot(o.runId as RunId).events;
    for (const c of children) {
      const committed = parentLog.find((x) => x.type === 'node.child' && x.data.childRunId === c.runId);
      expect(committed?.type === 'node.child' && c.runId).toBe(
        childRunId(o.runId as RunId, 'each', 1, c.data.parent!.key),
      );
    }
    expect(parentLog.filter((x) => x.type === 'child.finished')).toHaveLength(5);
  });

  it('onItemError continue: failed items give null and are listed; fail (default) fails the node', async () => {
    const env = testEngine({ code: doubler(new Set([2])) });
    const kept = await env.engine.start(mapGraph([1, 2, 3], { onItemError: 'continue' }), {}, { graphHash: 'h' });
    const r = (kept.result as { r: { results: unknown[]; errors: { index: number }[] } }).r;
    expect(r.results).toEqual([{ value: 2 }, null, { value: 6 }]);
    expect(r.errors.map((x) => x.index)).toEqual([1]);
    const failed = await env.engine.start(mapGraph([1, 2, 3]), {}, { graphHash: 'h' });
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/item 1 .*failed/);
  });

  it('fail (default): the first failed item fails the node at once, cancelling the items still running', async () => {
    // Item 2 fails at once; the others take a minute of simulated time.
    const slow = counting(async (ctx) => {
      const item = (ctx.scope.input as { item: number }).item;
      if (item === 2) throw new Error('item 2 is bad');
      await ctx.clock.sleep(60_000, ctx.signal);
      return { output: item * 2 };
    });
    const env = testEngine({ code: slow });
    const t0 = env.clock.now();
    const failed = await env.engine.start(mapGraph([1, 2, 3, 4], { concurrency: 4 }), {}, { graphHash: 'h' });
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/item 1 .*failed/);
    expect(env.clock.now() - t0).toBeLessThan(60_000); // not after the others' minute
    const ends = env.events.filter((x) => x.type === 'child.finished' && x.runId === failed.runId);
    expect(ends.map((x) => (x.data as { status: string }).status).sort()).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'failed',
    ]);
  });

  it('items that are not a list nor a template are refused by validation, naming the field', () => {
    for (const items of ['notalist', 3, { a: 1 }])
      expect(() => mapGraph(items)).toThrow(/nodes\[each\]\.config\.items: must be an array or a template/);
    expect(() => mapGraph('{{input.items}}')).not.toThrow();
  });

  it("a failed item's error names its kind once", async () => {
    // As the code runner reports a throw: kind code, and a message that starts with it.
    const env = testEngine({ code: counting(async () => Promise.reject(new NodeFailure('code', 'code: bad item'))) });
    const failed = await env.engine.start(mapGraph([1]), {}, { graphHash: 'h' });
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/failed: \w+: bad item$/);
    expect(failed.error?.message).not.toMatch(/(\w+): \1: /);
  });

  it('a retried map attempt runs only the failed items again', async () => {
    const bad = new Set([2]);
    const code = doubler(bad);
    const env = testEngine({ code });
    const g = mapGraph([1, 2, 3], { concurrency: 1, onItemError: 'fail' });
    const first = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(first.status).toBe('failed');
    const callsBefore = code.calls;
    bad.clear();
    const again = await env.engine.retry(first.runId as RunId, 'each');
    expect(again.status).toBe('succeeded');
    // Item 0 succeeded in attempt 1 and is reused; item 1 failed and runs again; item 2 never ran.
    expect(code.calls - callsBefore).toBe(2);
  });

  it('a parent killed after committing a child, before creating it, creates it once on resume', async () => {
    const code = doubler();
    const g = mapGraph([1, 2, 3]);
    const first = testEngine({ code });
    const o = await first.engine.start(g, {}, { graphHash: 'h' });
    const all = first.store.snapshot(o.runId as RunId).events;
    const second = crashAfter(g, o.runId as RunId, all, (x) => x.type === 'node.child', { code });
    const resumed = await second.engine.resume(o.runId as RunId);
    expect(resumed.status).toBe('succeeded');
    expect((resumed.result as { r: { results: unknown[] } }).r.results).toEqual([
      { value: 2 },
      { value: 4 },
      { value: 6 },
    ]);
    expect(childEvents(second.events, o.runId)).toHaveLength(3);
  });
});

describe('subgraph and loop', () => {
  it('a subgraph gives its child run result', async () => {
    const env = testEngine({ code: doubler() });
    const g = graph({
      graphs: { double },
      nodes: [
        { id: 'sub', type: 'subgraph', config: { graph: 'double', input: { item: 21 } } },
        out('r', '{{nodes.sub.output.value}}'),
      ],
      edges: [e('sub', 'r')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o).toMatchObject({ status: 'succeeded', result: { r: 42 } });
  });

  it('a loop feeds each iteration the previous output until its expression is true', async () => {
    const env = testEngine({ code: doubler() });
    const g = graph({
      graphs: { double },
      nodes: [
        {
          id: 'grow',
          type: 'loop',
          config: {
            graph: 'double',
            input: { item: 1 },
            next: { item: '{{previous.value}}' },
            until: 'previous.value >= 20',
            maxIterations: 10,
          },
        },
        out('r', '{{nodes.grow.output}}'),
      ],
      edges: [e('grow', 'r')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.result).toEqual({ r: { result: { value: 32 }, iterations: 5, stoppedBy: 'until' } });
  });
});

describe('children that wait, pause and spend', () => {
  const gated: Graph = {
    format: 'statepipe.graph',
    version: 1,
    id: 'gated',
    nodes: [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }, out('done', '{{nodes.gate.output.approved}}')],
    edges: [e('gate', 'done')],
  };

  it('a child waiting for an approval makes the parent wait; approving from the parent continues both', async () => {
    const env = testEngine({});
    const g = graph({
      graphs: { gated },
      nodes: [{ id: 'sub', type: 'subgraph', config: { graph: 'gated' } }, out('r', '{{nodes.sub.output}}')],
      edges: [e('sub', 'r')],
    });
    const waiting = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(waiting.status).toBe('waiting');
    const parentLog = env.store.snapshot(waiting.runId as RunId).events;
    const w = parentLog.find((x) => x.type === 'run.waiting')!;
    expect(w.type === 'run.waiting' && w.data.children?.[0]?.nodeIds).toEqual(['gate']);
    const done = await env.engine.approve(waiting.runId as RunId, 'gate', { approved: true, by: 'ana' });
    expect(done).toMatchObject({ runId: waiting.runId, status: 'succeeded', result: { r: { done: true } } });
    // The subgraph's attempt stopped while its child waited: suspended (not cut off by a crash), then followed it again.
    const sub = (await env.engine.inspect(waiting.runId as RunId)).nodes.get('sub' as never)!;
    expect(sub.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'suspended'],
      [1, 'succeeded'],
    ]);
  });

  it('a map whose items wait at one approval: the parent does not pick one; rejecting an item in its own run fails the map and cancels the others', async () => {
    const env = testEngine({});
    const g = graph({
      graphs: { gated },
      nodes: [
        { id: 'each', type: 'map', config: { graph: 'gated', items: [1, 2, 3] } },
        out('r', '{{nodes.each.output}}'),
      ],
      edges: [e('each', 'r')],
    });
    const waiting = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(waiting.status).toBe('waiting');
    const parent = waiting.runId as RunId;
    await expect(env.engine.approve(parent, 'gate', { approved: true })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^node gate waits in 3 child runs of run /) as unknown,
    });
    const kids = [0, 1, 2].map((k) => childRunId(parent, 'each', 1, k));
    const rejected = await env.engine.approve(kids[1]!, 'gate', { approved: false, by: 'ana' });
    expect(rejected.status).toBe('failed');
    // The child's end goes on to its parent, as an approval from the parent would.
    expect((await env.engine.inspect(parent)).status).toBe('failed');
    for (const k of [kids[0]!, kids[2]!]) expect((await env.engine.inspect(k)).status).toBe('cancelled');
  });

  it('children count toward the parent tokens', async () => {
    const talk: Graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'talk',
      nodes: [
        {
          id: 'say',
          type: 'llm',
          config: { provider: 'mock', model: 'm', prompt: 'hi', mock: { reply: 'one two three', tokensPerSecond: 0 } },
        },
      ],
      edges: [],
    };
    const env = testEngine({});
    const g = graph({
      graphs: { talk },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'talk', items: [1, 2] } }],
      edges: [],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    const state = await env.engine.inspect(o.runId as RunId);
    expect(state.outputTokens).toBe(6);
    expect(state.tokens).toBeGreaterThan(6);
  });

  it('a cancel of the parent cancels its running children', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const code = counting(async (ctx) => {
      await new Promise<void>((resolve, reject) => {
        void hold.then(resolve);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
      return { output: 1 };
    });
    const env = testEngine({ code });
    const runId = await env.engine.createRun(mapGraph([1, 2]), {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId);
    await until(() => env.events.filter((x) => x.type === 'node.started' && x.nodeId === 'calc').length === 2);
    await env.engine.cancel(runId);
    const o = await driving;
    release();
    expect(o.status).toBe('cancelled');
    for (const c of childEvents(env.events, runId))
      expect((await env.engine.inspect(c.runId)).status).toBe('cancelled');
  });
});

describe('validation of composition', () => {
  const base = (extra: Partial<Graph>, nodes: GraphNode[]) =>
    ({ format: 'statepipe.graph', version: 1, id: 'p', nodes, edges: [], ...extra }) as Graph;
  const sub = (id: string, target: string): GraphNode => ({ id, type: 'subgraph', config: { graph: target } });

  it('refuses a missing graph, a cycle of includes (listing it) and nesting deeper than 8', () => {
    expect(() => validateGraph(base({}, [sub('s', 'nope')]))).toThrow(
      /nodes\[s\]\.config\.graph: graph "nope" not found/,
    );
    const a = base({ id: 'a' }, [sub('x', 'b')]);
    const b = base({ id: 'b' }, [sub('y', 'a')]);
    expect(() => validateGraph(base({ graphs: { a, b } }, [sub('s', 'a')]))).toThrow(
      /graphs include themselves: a → b → a/,
    );
    const chain: Record<string, Graph> = {};
    for (let i = 0; i < 9; i++) chain[`g${i}`] = base({ id: `g${i}` }, i < 8 ? [sub('n', `g${i + 1}`)] : []);
    expect(() => validateGraph(base({ graphs: chain }, [sub('s', 'g0')]))).toThrow(/nest 9 deep; at most 8/);
    // An empty name is one problem (it names no graph, not this one: no cycle).
    const empty = (() => {
      try {
        validateGraph(base({}, [sub('s', '')]));
      } catch (err) {
        return (err as AppError).issues?.map((i) => `${i.path}: ${i.message}`);
      }
    })();
    expect(empty).toEqual([
      "nodes[s].config.graph: choose the graph to run: the id of a graph in this file's library or of a saved graph",
    ]);
    // A library entry named __proto__ would be dropped by parsing: refused, by name.
    const proto = JSON.parse('{"__proto__": {"format":"statepipe.graph","version":1,"id":"x","nodes":[],"edges":[]}}');
    expect(() => validateGraph(base({ graphs: proto }, [sub('s', 'x')]))).toThrow(
      /graphs\.__proto__: "__proto__" cannot name a graph/,
    );
  });

  it('refuses a child input known before the run that breaks the child input schema', () => {
    const strict = base({ id: 'strict', input: { type: 'object', required: ['name'] } }, []);
    expect(() =>
      validateGraph(
        base({ graphs: { strict } }, [{ id: 's', type: 'subgraph', config: { graph: 'strict', input: { other: 1 } } }]),
      ),
    ).toThrow(/nodes\[s\]\.config\.input: the input of graph "strict"/);
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error('condition never met');
}
