/**
 * Group commit: the ends of pure in-process nodes running together share a transaction, but
 * nothing is published and no runner with an effect starts before what precedes it is committed.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import type { RunId } from '../ids.js';
import type { GraphNode } from '../graph/schema.js';
import { realClock } from './clock.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { counting, graph, testEngine } from './test-kit.js';

const input: GraphNode = { id: 'in', type: 'input', config: {} };
const transform = (id: string): GraphNode => ({ id, type: 'transform', config: { template: `{{ "${id}" }}` } });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

/** Wraps the store so each append is counted and each published event is checked against it. */
function metered(env: ReturnType<typeof testEngine>) {
  const appends: number[] = [];
  const append = env.store.append.bind(env.store);
  env.store.append = (runId, events, fence) => {
    appends.push(events.length);
    return append(runId, events, fence);
  };
  const unpublished: RunEvent[] = [];
  env.engine.subscribe((events) => {
    const stored = env.store.snapshot(events[0]!.runId).events;
    for (const e of events) if (!stored.some((s) => s.seq === e.seq && s.type === e.type)) unpublished.push(e);
  });
  return { appends, unpublished };
}

describe('group commit of pure in-process nodes', () => {
  it('a 200-wide fan-out of transforms commits in a few transactions, every event published after its commit', async () => {
    const workers = Array.from({ length: 200 }, (_, i) => transform(`w${i}`));
    const g = graph({
      concurrency: 16,
      nodes: [input, ...workers, transform('join')],
      edges: [...workers.map((w) => edge('in', w.id)), ...workers.map((w) => edge(w.id, 'join'))],
    });
    const env = testEngine();
    const { appends, unpublished } = metered(env);
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    const events = env.store.snapshot(o.runId as RunId).events;
    expect(events.filter((e) => e.type === 'node.succeeded')).toHaveLength(202);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // One per node would be 200+; the whole fan-out fits in one group.
    expect(appends.length).toBeLessThan(10);
    expect(unpublished).toEqual([]);
    expect(env.events.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  });

  it('a runner with an effect starts only once its upstream ends are committed', async () => {
    const seen: string[][] = [];
    const http = counting(async (ctx) => {
      const stored = env.store.snapshot(ctx.runId).events;
      seen.push(stored.filter((e) => e.type === 'node.succeeded').map((e) => e.nodeId!));
      expect(stored.some((e) => e.type === 'node.started' && e.nodeId === ctx.node.id)).toBe(true);
      return { output: { status: 200 } };
    });
    const env = testEngine({ http });
    const g = graph({
      nodes: [
        input,
        transform('a'),
        transform('b'),
        { id: 'h', type: 'http', config: { method: 'POST', url: 'http://127.0.0.1:1/x' } },
      ],
      edges: [edge('in', 'a'), edge('in', 'b'), edge('a', 'h'), edge('b', 'h')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    expect(http.calls).toBe(1);
    expect(seen[0]!.sort()).toEqual(['a', 'b', 'in']);
  });
});

describe('runners that may begin while their start is written', () => {
  /** A chain in → h (with `config` and `extra`); whether h's runner found its start stored when it began. */
  async function startStoredAtCall(config: Record<string, unknown>, extra: Partial<GraphNode> = {}) {
    const seen: boolean[] = [];
    const http = counting(async (ctx) => {
      seen.push(env.store.snapshot(ctx.runId).events.some((e) => e.type === 'node.started' && e.nodeId === 'h'));
      return { output: { status: 200 } };
    });
    const env = testEngine({ http });
    // Each write takes a while, as an fsync'd commit does: a runner that does not wait begins meanwhile.
    const append = env.store.append.bind(env.store);
    env.store.append = async (runId, events, fence) => {
      await new Promise((r) => setTimeout(r, 5));
      return append(runId, events, fence);
    };
    const g = graph({
      nodes: [input, { id: 'h', type: 'http', config: { url: 'http://127.0.0.1:1/x', ...config }, ...extra }],
      edges: [edge('in', 'h')],
    });
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    const events = env.store.snapshot(o.runId as RunId).events.map((e) => `${e.type}${e.nodeId ? `:${e.nodeId}` : ''}`);
    expect(events).toContain('node.started:h');
    return seen;
  }

  it('a GET or HEAD (it only reads) begins without waiting for its start to be durable', async () => {
    expect(await startStoredAtCall({ method: 'GET' })).toEqual([false]);
    expect(await startStoredAtCall({ method: 'HEAD' })).toEqual([false]);
  });

  it('a PUT, a POST, a polled GET and a GET declared unsafe wait for their start to be durable', async () => {
    expect(await startStoredAtCall({ method: 'PUT' })).toEqual([true]);
    expect(await startStoredAtCall({ method: 'POST' })).toEqual([true]);
    const poll = { url: 'http://127.0.0.1:1/s', intervalMs: 10, until: 'true', maxWaitMs: 100 };
    expect(await startStoredAtCall({ method: 'GET', poll })).toEqual([true]);
    expect(await startStoredAtCall({ method: 'GET' }, { sideEffect: 'unsafe' })).toEqual([true]);
  });

  it('a node declared pure begins at once, whatever its method', async () => {
    expect(await startStoredAtCall({ method: 'POST' }, { sideEffect: 'pure' })).toEqual([false]);
  });
});

describe('a commit linger (commitLingerMs)', () => {
  /** A chain in → h0 → … → h{n-1} of http nodes with `method`, each taking 1 ms (simulated). */
  async function chain(method: string, n: number, commitLingerMs?: number) {
    const startStored: boolean[] = [];
    const http = counting(async (ctx) => {
      startStored.push(
        env.store.snapshot(ctx.runId).events.some((e) => e.type === 'node.started' && e.nodeId === ctx.node.id),
      );
      await env.clock.sleep(1);
      return { output: { status: 200 } };
    });
    const env = testEngine({ http }, commitLingerMs === undefined ? {} : { commitLingerMs });
    const { appends, unpublished } = metered(env);
    const hs = Array.from({ length: n }, (_, i): GraphNode => ({
      id: `h${i}`,
      type: 'http',
      config: { method, url: 'http://127.0.0.1:1/x' },
    }));
    const g = graph({ nodes: [input, ...hs], edges: hs.map((h, i) => edge(i === 0 ? 'in' : `h${i - 1}`, h.id)) });
    const t0 = env.clock.now();
    const o = await env.engine.start(g, {}, { graphHash: 'h' });
    const elapsedMs = env.clock.now() - t0;
    const stored = env.store.snapshot(o.runId as RunId).events;
    return { o, appends, unpublished, startStored, elapsedMs, stored, published: env.events };
  }

  it('a chain of reads shares a transaction among the nodes of each linger, every event published after its commit', async () => {
    const plain = await chain('GET', 20);
    expect(plain.o.status).toBe('succeeded');
    expect(plain.appends.length).toBeGreaterThanOrEqual(20); // a transaction per node without a linger
    const lingering = await chain('GET', 20, 10);
    expect(lingering.o.status).toBe('succeeded');
    // 20 nodes of 1 ms, written every 10 ms: a few transactions, not one per node.
    expect(lingering.appends.length).toBeLessThanOrEqual(5);
    expect(lingering.unpublished).toEqual([]);
    expect(lingering.stored.map((e) => e.seq)).toEqual(lingering.stored.map((_, i) => i + 1));
    expect(lingering.stored.at(-1)?.type).toBe('run.succeeded');
    expect(lingering.published.map((e) => e.seq)).toEqual(lingering.stored.map((e) => e.seq));
  });

  it('nothing awaited waits for it: an effect starts once its start is written, the run ends at once', async () => {
    const r = await chain('PUT', 5, 1000);
    expect(r.o.status).toBe('succeeded');
    expect(r.startStored).toEqual([true, true, true, true, true]);
    // Five nodes of 1 ms; a 1 000 ms linger never held the run.
    expect(r.elapsedMs).toBeLessThan(50);
    expect(r.stored.at(-1)?.type).toBe('run.succeeded');
    expect(r.unpublished).toEqual([]);
  });
});

describe('group commit off (groupCommit: false)', () => {
  it('commits every transition alone, in order: a chain of transforms makes one write per node end', async () => {
    const store = new MemoryStore();
    const appends: RunEvent['type'][][] = [];
    const append = store.append.bind(store);
    // Each write takes a turn of the event loop, as the SQLite store's does (it gathers the writes of a turn).
    store.append = async (runId, events, fence) => {
      appends.push(events.map((e) => e.type));
      await new Promise((r) => setTimeout(r, 0));
      return append(runId, events, fence);
    };
    const engine = new Engine({ store, clock: realClock, runners: {}, owner: { id: 't' }, groupCommit: false });
    const chain = ['a', 'b', 'c', 'd', 'e'].map(transform);
    const g = graph({
      nodes: [input, ...chain],
      edges: chain.map((n, i) => edge(i === 0 ? 'in' : chain[i - 1]!.id, n.id)),
    });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    const ends = appends.map((types) => types.filter((t) => t === 'node.succeeded').length);
    expect(ends.filter((n) => n > 0)).toEqual([1, 1, 1, 1, 1, 1]); // input and five transforms, each alone
    const events = store.snapshot(o.runId as RunId).events;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });
});

describe('the end of a run waits for every write', () => {
  it('a chain that stages more events than one write holds: the outcome comes after the last of them is stored', async () => {
    const store = new MemoryStore();
    const append = store.append.bind(store);
    store.append = async (runId, events, fence) => {
      await new Promise((r) => setTimeout(r, 30)); // a write takes a while, as a large one on SQLite does
      return append(runId, events, fence);
    };
    const engine = new Engine({ store, clock: realClock, runners: {}, owner: { id: 't' } });
    const chain = Array.from({ length: 10000 }, (_, i) => transform(`n${i}`));
    const g = graph({
      nodes: [input, ...chain],
      edges: chain.map((n, i) => edge(i === 0 ? 'in' : chain[i - 1]!.id, n.id)),
    });
    const o = await engine.start(g, {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    const events = store.snapshot(o.runId as RunId).events;
    expect(events.at(-1)?.type).toBe('run.succeeded');
    expect(events.filter((e) => e.type === 'node.succeeded')).toHaveLength(10001);
  });
});
