/**
 * `--dry-run` of composition: a map's worst case counts its items when the input makes them
 * known (through a pure transform too), a loop its iterations, nested children multiply, and a
 * map whose items no one can know before the run is counted once and named.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, GraphNode } from '../graph/schema.js';
import { topology } from '../graph/topology.js';
import { dryRunPlan } from './dry-run.js';
import { graph } from './test-kit.js';

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
/** One mock call: a 3-word prompt and a 4-word reply (~8 tokens at 1.3 tokens a prompt word). */
const ask: GraphNode = {
  id: 'ask',
  type: 'llm',
  config: { provider: 'mock', model: 'm', prompt: 'extract {{input.item}}', mock: { reply: 'a b c d' } },
};
const child: Graph = graph({ id: 'child', nodes: [ask], edges: [] });

function parent(nodes: GraphNode[], edges: { id: string; source: string; target: string }[] = []): Graph {
  return graph({ nodes, edges, graphs: { child } });
}
const plan = (g: Graph, input?: unknown) => dryRunPlan(g, topology(g), input === undefined ? {} : { input });

describe('dry run of subgraph, map and loop', () => {
  it('counts a map child per item of a known list, through a transform', async () => {
    const one = await plan(child, { item: 'x' });
    const g = parent(
      [
        { id: 'list', type: 'transform', config: { template: '{{ [1..input.n] }}' } },
        { id: 'each', type: 'map', config: { graph: 'child', items: '{{nodes.list.output}}' } },
      ],
      [e('list', 'each')],
    );
    const p = await plan(g, { n: 12 });
    expect(p.childRuns).toBe(12);
    expect(p.modelCalls).toBe(12);
    expect(p.worstCaseTokens).toBe(12 * one.worstCaseTokens);
    expect(p.itemsUnknown).toEqual([]);
  });

  it('counts a loop at its maxIterations and multiplies nested children', async () => {
    const loop: GraphNode = {
      id: 'again',
      type: 'loop',
      config: { graph: 'child', input: { item: 'y' }, until: 'true', maxIterations: 5 },
    };
    const p = await plan(parent([loop]));
    expect(p).toMatchObject({ childRuns: 5, modelCalls: 5 });
    const outer = graph({
      nodes: [{ id: 'each', type: 'map', config: { graph: 'inner', items: '{{input.xs}}' } }],
      edges: [],
      graphs: { inner: { ...parent([loop]), id: 'inner' }, child },
    });
    const nested = await plan(outer, { xs: [1, 2, 3] });
    expect(nested).toMatchObject({ childRuns: 3 * (1 + 5), modelCalls: 15 });
  });

  it('names a map whose items are not known before the run, counting one item', async () => {
    const g = parent(
      [
        { id: 'fetch', type: 'http', config: { method: 'GET', url: 'http://127.0.0.1:1/list' } },
        { id: 'each', type: 'map', config: { graph: 'child', items: '{{nodes.fetch.output.body}}' } },
      ],
      [e('fetch', 'each')],
    );
    const p = await plan(g, {});
    expect(p).toMatchObject({ childRuns: 1, modelCalls: 1, itemsUnknown: ['each'] });
  });
});
