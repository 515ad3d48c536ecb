/**
 * Composition on PostgreSQL end to end (docs/composition.md): a map node's child runs are stored,
 * linked and listed as on SQLite; a child waiting for a person makes its parent wait, and a
 * person in another process approves it through the parent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph, GraphNode } from '../../src/core/graph/schema.js';
import { methods } from '../../src/contract/api.js';
import { dispatch } from '../../src/host/dispatch.js';
import { StatepipeService } from '../../src/host/service.js';
import { testDatabase } from './db.js';

const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const byKey = (a: { parent?: { key: number } }, b: { parent?: { key: number } }) =>
  (a.parent?.key ?? 0) - (b.parent?.key ?? 0);
const out = (id: string, value: unknown): GraphNode => ({ id, type: 'output', config: { value } });

/** A child graph: doubles its item (a transform). */
const double: Graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'double',
  nodes: [
    { id: 'calc', type: 'transform', config: { template: { twice: '{{input.item}}{{input.item}}' } } },
    out('value', '{{nodes.calc.output.twice}}'),
  ],
  edges: [edge('calc', 'value')],
};

/** A child graph that waits for a person. */
const gated: Graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'gated',
  nodes: [{ id: 'gate', type: 'approval', config: { title: 'ok?' } }, out('done', '{{nodes.gate.output.approved}}')],
  edges: [edge('gate', 'done')],
};

const parent = (id: string, node: GraphNode, graphs: Record<string, Graph>): Graph => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  graphs,
  nodes: [node, out('r', `{{nodes.${node.id}.output}}`)],
  edges: [edge(node.id, 'r')],
});

let svc: StatepipeService;
let other: StatepipeService; // another process on the same database
beforeAll(async () => {
  const url = await testDatabase();
  svc = await StatepipeService.open({ dbPath: url });
  other = await StatepipeService.open({ dbPath: url });
});
afterAll(async () => {
  await other?.close();
  await svc?.close();
});

describe('composition on PostgreSQL', () => {
  it('a map runs one child run per item: stored, linked to its parent, listed under it, replayed with it', async () => {
    const g = parent(
      'fan',
      { id: 'each', type: 'map', config: { graph: 'double', items: '{{input.items}}' } },
      { double },
    );
    const o = await svc.startRun(g, { items: ['a', 'b', 'c'] });
    expect(o.status).toBe('succeeded');
    expect((o.result as { r: { results: unknown[] } }).r.results).toEqual([
      { value: 'aa' },
      { value: 'bb' },
      { value: 'cc' },
    ]);
    // A map creates its children concurrently: listed by creation, shown by item (as inspect and the studio do).
    const children = (await other.list({ parentRunId: o.runId, order: 'asc' })).sort(byKey);
    expect(children.map((c) => [c.status, c.parent?.nodeId, c.parent?.key])).toEqual([
      ['succeeded', 'each', 0],
      ['succeeded', 'each', 1],
      ['succeeded', 'each', 2],
    ]);
    const top = await other.list();
    expect(top.map((r) => r.runId)).toEqual([o.runId]);
    expect(top[0]!.children).toEqual({ succeeded: 3 });
    expect(await other.store.countRuns({ all: true })).toBe(4);
    expect((await other.store.getRunRow(children[1]!.runId))!).toMatchObject({
      parentRunId: o.runId,
      parentNodeId: 'each',
      childKey: 1,
    });
    expect((await other.inspect(children[2]!.runId)).parent).toEqual({ runId: o.runId, nodeId: 'each', key: 2 });
    expect(await other.replay(o.runId)).toMatchObject({ matches: true });
  });

  it('a child waiting for a person makes its parent wait; another process approves it through the parent', async () => {
    const g = parent('ask', { id: 'sub', type: 'subgraph', config: { graph: 'gated' } }, { gated });
    const waiting = await svc.startRun(g, {});
    expect(waiting.status).toBe('waiting');
    const [child] = await other.list({ parentRunId: waiting.runId });
    expect(child).toMatchObject({ status: 'waiting' });
    expect((await other.store.nodeStates(waiting.runId)).find((n) => n.nodeId === 'sub')?.status).toBe('waiting');
    const node = (await other.inspect(waiting.runId)).nodes.find((n) => n.nodeId === 'sub');
    expect(node?.waitingChildren).toEqual([{ runId: child!.runId, nodeIds: ['gate'] }]);
    const done = await other.approve(waiting.runId, 'gate', { approved: true, by: 'ann' });
    expect(done).toMatchObject({ runId: waiting.runId, status: 'succeeded', result: { r: { done: true } } });
    expect((await svc.store.getRunRow(child!.runId))!.status).toBe('succeeded');
    expect((await svc.list()).find((r) => r.runId === waiting.runId)?.children).toEqual({ succeeded: 1 });
  });

  it("the studio's runs.list: top-level runs with their children counted by status, a run's children, every run", async () => {
    const picky: Graph = {
      ...double,
      id: 'picky',
      nodes: [
        {
          id: 'calc',
          type: 'transform',
          config: { template: "{{input.item = 'x' ? $error('bad item') : input.item}}" },
        },
        out('value', '{{nodes.calc.output}}'),
      ],
    };
    const g = parent(
      'studio-fan',
      { id: 'each', type: 'map', config: { graph: 'picky', items: '{{input.items}}', onItemError: 'continue' } },
      { picky },
    );
    const o = await svc.startRun(g, { items: ['a', 'x', 'b', 'x', 'c'] });
    expect(o.status).toBe('succeeded');
    const ctx = { service: other, host: 'web' as const, version: 'test' };
    const call = async (input: Record<string, unknown>) => {
      const r = await dispatch(ctx, 'runs.list', input);
      if (!r.ok) throw new Error(r.error.message);
      return methods['runs.list'].output.parse(r.value);
    };
    const top = await call({ graphId: 'studio-fan' });
    expect(top.runs.map((r) => [r.runId, r.children, r.parent])).toEqual([
      [o.runId, { succeeded: 3, failed: 2 }, undefined],
    ]);
    const kids = await call({ parentRunId: o.runId, status: 'failed', order: 'asc' });
    expect(kids.total).toBe(2);
    expect(kids.runs.sort(byKey).map((r) => r.parent)).toEqual([
      { runId: o.runId, nodeId: 'each', key: 1 },
      { runId: o.runId, nodeId: 'each', key: 3 },
    ]);
    expect((await call({ graphId: 'picky', all: true })).total).toBe(5);
    expect((await call({ graphId: 'picky' })).total).toBe(0);
  });
});
