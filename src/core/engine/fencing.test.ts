/**
 * Fencing: a driver whose run was taken over by another process (its lease lost: paused by the
 * OS past it, cut off) stops at once and never writes to the run again. And commits: the end
 * of a node, what it makes ready and the start of the next runner share one transaction.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import type { GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import { SimClock } from './clock.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { counting, graph, testEngine } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const code = (id: string, extra: Partial<GraphNode> = {}): GraphNode => ({
  id,
  type: 'code',
  config: { code: 'x' },
  ...extra,
});

describe('fencing', () => {
  it('a driver whose lease was taken over stops at once, its next write refused, nothing more written', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runner = counting(async (ctx) => {
      if (ctx.node.id === 'b') await gate;
      return { output: ctx.node.id };
    });
    // Idempotent: a runner that must wait for its start to be durable (a pure one need not: below).
    const idem = { sideEffect: 'idempotent' } as const;
    const g = graph({ nodes: [code('a', idem), code('b', idem), code('c', idem)], edges: [e('a', 'b'), e('b', 'c')] });
    const env = testEngine({ code: runner });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId);
    // b is running: another process takes the run over (as after this one's lease expired).
    await until(() => env.events.some((x) => x.type === 'node.started' && x.nodeId === 'b'));
    env.store.takeOver(runId, { id: 'other' });
    const head = env.store.snapshot(runId).events.length;
    release();
    await expect(driving).rejects.toMatchObject({ code: 'fenced' });
    const after = env.store.snapshot(runId).events;
    expect(after).toHaveLength(head);
    expect(after.some((x) => x.nodeId === 'b' && x.type === 'node.succeeded')).toBe(false);
    expect(runner.calls).toBe(2); // c never started
  });

  it('a pure runner begun while the write that fences the driver was in flight is aborted, its end not written', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const signals: AbortSignal[] = [];
    const runner = counting(async (ctx) => {
      if (ctx.node.id === 'b') await gate;
      if (ctx.node.id === 'c') {
        signals.push(ctx.signal);
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
      }
      return { output: ctx.node.id };
    });
    const g = graph({ nodes: [code('a'), code('b'), code('c')], edges: [e('a', 'b'), e('b', 'c')] });
    const env = testEngine({ code: runner });
    const runId = await env.engine.createRun(g, {}, { graphHash: 'h' });
    const driving = env.engine.drive(runId);
    await until(() => env.events.some((x) => x.type === 'node.started' && x.nodeId === 'b'));
    env.store.takeOver(runId, { id: 'other' });
    const head = env.store.snapshot(runId).events.length;
    release();
    await expect(driving).rejects.toMatchObject({ code: 'fenced' });
    expect(env.store.snapshot(runId).events).toHaveLength(head);
    expect(signals.map((x) => x.aborted)).toEqual([true]);
  });

  it('a lost lease found at renewal stops the driver before it writes', async () => {
    const clock = new SimClock();
    const store = new MemoryStore(() => clock.now());
    const runner = counting(async (ctx) => {
      store.takeOver(ctx.runId, { id: 'other' });
      await ctx.clock.sleep(60_000, ctx.signal);
      return { output: ctx.node.id };
    });
    const engine = new Engine({ store, clock, runners: { code: runner }, owner: { id: 'me' }, controlPollMs: 1_000 });
    const g = graph({ nodes: [code('slow'), code('next')], edges: [e('slow', 'next')] });
    const runId = await engine.createRun(g, {}, { graphHash: 'h' });
    const started = clock.now();
    await expect(engine.drive(runId)).rejects.toMatchObject({ code: 'fenced' });
    // Found at the first renewal (every 5 s), long before the node would have ended.
    expect(clock.now() - started).toBeLessThan(10_000);
    expect(store.snapshot(runId).events.map((x) => x.type)).not.toContain('node.succeeded');
  });
});

describe('commits', () => {
  it('a chain of runners with effects costs one transaction per node: end, next queued and next start together', async () => {
    const runner = counting(async (ctx) => ({ output: ctx.node.id }));
    const n = 20;
    // Idempotent code: its start is durable before it runs (pure runners need not wait: group-commit.test.ts).
    const nodes = Array.from({ length: n }, (_, i) => code(`h${i}`, { sideEffect: 'idempotent' }));
    const edges = nodes.slice(1).map((x, i) => e(`h${i}`, x.id));
    const env = testEngine({ code: runner });
    const batches: string[][] = [];
    const append = env.store.append.bind(env.store);
    env.store.append = (runId, events, fence) => {
      batches.push(events.map((x) => `${x.type}${x.nodeId ? `:${x.nodeId}` : ''}`));
      return append(runId, events, fence);
    };
    const o = await env.engine.start(graph({ nodes, edges }), {}, { graphHash: 'h' });
    expect(o.status).toBe('succeeded');
    // run.started + first start; then one per node (its end and the next start); the last with run.succeeded.
    expect(batches.length).toBeLessThanOrEqual(n + 1);
    const middle = batches.find((b) => b.includes('node.succeeded:h5'))!;
    expect(middle).toEqual(['node.succeeded:h5', 'node.queued:h6', 'node.started:h6']);
    const events: RunEvent[] = env.store.snapshot(o.runId as RunId).events;
    expect(events.map((x) => x.seq)).toEqual(events.map((_, i) => i + 1));
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error('condition never met');
}
