/**
 * "Create subgraph from selection": the new graph and the rewired document are valid graphs,
 * and the document runs to the same result as before (on the engine, the child from the
 * library), for edges in and out, several outputs, reads of outside nodes, and approvals.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, GraphEdge, GraphNode } from '../../core/graph/schema';
import { validateGraph } from '../../core/graph/validate';
import { testEngine } from '../../core/engine/test-kit';
import { applyGraphChanges } from './graph-edit';
import { nodeReads, subgraphFromSelection } from './subgraph-from-selection';

const e = (source: string, target: string, when?: boolean): GraphEdge => ({
  id: `${source}-${target}`,
  source,
  target,
  ...(when !== undefined ? { when } : {}),
});
const t = (id: string, template: unknown): GraphNode => ({ id, type: 'transform', config: { template } });
const out = (id: string, value: unknown): GraphNode => ({ id, type: 'output', config: { value } });
const doc = (nodes: GraphNode[], edges: GraphEdge[]): Graph =>
  validateGraph({
    format: 'statepipe.graph',
    version: 1,
    id: 'doc',
    input: { type: 'object', properties: { n: { type: 'number' } } },
    nodes,
    edges,
  });

/** input → a → b → c → result, each a transform of the one before (and of the run input). */
const chain = () =>
  doc(
    [
      { id: 'in', type: 'input', config: {} },
      t('a', '{{input.n + 1}}'),
      t('b', { sum: '{{nodes.a.output * 10 + input.n}}' }),
      t('c', '{{nodes.b.output.sum + 1}}'),
      out('result', '{{nodes.c.output}}'),
    ],
    [e('in', 'a'), e('a', 'b'), e('b', 'c'), e('c', 'result')],
  );

/** Extracts, checks both graphs validate, and runs the document before and after. */
async function extractAndRun(g: Graph, sel: string[], input: unknown = { n: 2 }) {
  const x = subgraphFromSelection(g, sel, { graphId: 'part', name: 'Part' });
  const child = validateGraph(x.child);
  const after = validateGraph({ ...applyGraphChanges(g, x.changes), graphs: { part: child } });
  const before = await testEngine().engine.start(g, input, { graphHash: 'a' });
  const now = await testEngine().engine.start(after, input, { graphHash: 'b' });
  return { x, after, before, now };
}

describe('subgraph from selection', () => {
  it('a node reading an outside node: a stand-in of the same id, the run input wrapped, the same result', async () => {
    const { x, after, before, now } = await extractAndRun(chain(), ['b']);
    expect(before.status).toBe('succeeded');
    expect(now.result).toEqual(before.result);
    expect(x.node).toMatchObject({
      id: 'part',
      type: 'subgraph',
      label: 'Part',
      config: { graph: 'part', input: { input: '{{input}}', nodes: { a: '{{nodes.a.output}}' } } },
    });
    expect(x.child.nodes.map((n) => `${n.id}:${n.type}`)).toEqual([
      'input:input',
      'a:transform',
      'b:transform',
      'b_out:output',
    ]);
    // The child reads the parent's input as input.input; the outside reads the subgraph's output.
    expect(x.child.nodes.find((n) => n.id === 'b')!.config['template']).toEqual({
      sum: '{{nodes.a.output * 10 + input.input.n}}',
    });
    expect(after.nodes.find((n) => n.id === 'c')!.config['template']).toBe('{{nodes.part.output.b_out.sum + 1}}');
    expect(after.edges.map((ed) => `${ed.source}>${ed.target}`).sort()).toEqual(
      ['a>part', 'c>result', 'in>a', 'part>c'].sort(),
    );
  });

  it('reading only the run input: the child takes the input as it is, with its schema', async () => {
    const { x, before, now } = await extractAndRun(chain(), ['a', 'b']);
    expect(now.result).toEqual(before.result);
    expect(x.node.config['input']).toBe('{{input}}');
    expect(x.child.input).toEqual(chain().input);
    expect(x.child.nodes.find((n) => n.id === 'a')!.config['template']).toBe('{{input.n + 1}}');
    expect(x.child.edges.map((ed) => `${ed.source}>${ed.target}`)).toContain('input>a');
  });

  it('several outputs: each node read outside gets an output node, and its readers follow', async () => {
    const g = doc(
      [
        { id: 'in', type: 'input', config: {} },
        t('a', '{{input.n * 2}}'),
        t('b', '{{input.n * 3}}'),
        t('sum', '{{nodes.a.output + nodes.b.output}}'),
        out('ra', '{{nodes.a.output}}'),
        out('rs', '{{nodes.sum.output}}'),
      ],
      [e('in', 'a'), e('in', 'b'), e('a', 'sum'), e('b', 'sum'), e('a', 'ra'), e('sum', 'rs')],
    );
    const { x, after, before, now } = await extractAndRun(g, ['a', 'b']);
    expect(now.result).toEqual(before.result);
    expect(x.child.nodes.filter((n) => n.type === 'output').map((n) => n.id)).toEqual(['a_out', 'b_out']);
    expect(after.nodes.find((n) => n.id === 'sum')!.config['template']).toBe(
      '{{nodes.part.output.a_out + nodes.part.output.b_out}}',
    );
    // One edge from the input node into the subgraph, one out of it to each reader.
    expect(after.edges.filter((ed) => ed.target === 'part').map((ed) => ed.source)).toEqual(['in']);
    expect(
      after.edges
        .filter((ed) => ed.source === 'part')
        .map((ed) => ed.target)
        .sort(),
    ).toEqual(['ra', 'sum']);
  });

  it('an approval inside the selection keeps its branches; the branch of a condition outside enters with its when', async () => {
    const g = doc(
      [
        { id: 'in', type: 'input', config: {} },
        { id: 'big', type: 'condition', config: { expression: 'input.n > 1' } },
        { id: 'gate', type: 'approval', config: { title: 'OK?' } },
        t('yes', 'approved'),
        t('no', 'rejected'),
        t('join', '{{$exists(nodes.yes.output) ? nodes.yes.output : nodes.no.output}}'),
        out('result', '{{nodes.join.output}}'),
      ],
      [
        e('in', 'big'),
        e('big', 'gate', true),
        e('gate', 'yes', true),
        e('gate', 'no', false),
        e('yes', 'join'),
        e('no', 'join'),
        e('join', 'result'),
      ],
    );
    const x = subgraphFromSelection(g, ['gate', 'yes', 'no', 'join'], { graphId: 'part', name: 'Part' });
    validateGraph(x.child);
    const after = validateGraph({ ...applyGraphChanges(g, x.changes), graphs: { part: x.child } });
    expect(after.edges.find((ed) => ed.target === 'part')).toMatchObject({ source: 'big', when: true });
    expect(x.child.edges.filter((ed) => ed.source === 'gate').map((ed) => ed.when)).toEqual([true, false]);
    // The run waits in the child's approval: the parent waits too, naming it.
    const env = testEngine();
    const o = await env.engine.start(after, { n: 2 }, { graphHash: 'h' });
    expect(o.status).toBe('waiting');
    expect(env.events.some((ev) => ev.type === 'approval.requested' && ev.runId !== o.runId)).toBe(true);
  });

  it('refuses what cannot be wired the same way, naming the nodes', () => {
    const g = chain();
    expect(() => subgraphFromSelection(g, [], { graphId: 'p', name: 'P' })).toThrow(/Select the nodes/);
    expect(() => subgraphFromSelection(g, ['in', 'a'], { graphId: 'p', name: 'P' })).toThrow(/unselect in/);
    expect(() => subgraphFromSelection(g, ['a', 'c'], { graphId: 'p', name: 'P' })).toThrow(
      /b lies between selected nodes/,
    );
    const branchy = doc(
      [
        { id: 'in', type: 'input', config: {} },
        { id: 'gate', type: 'approval', config: { title: 'OK?' } },
        t('yes', 'y'),
        t('no', 'n'),
      ],
      [e('in', 'gate'), e('gate', 'yes', true), e('gate', 'no', false)],
    );
    expect(() => subgraphFromSelection(branchy, ['gate', 'yes'], { graphId: 'p', name: 'P' })).toThrow(
      /false branch of gate leaves the selection \(to no\)/,
    );
    expect(() => subgraphFromSelection(branchy, ['yes', 'no'], { graphId: 'p', name: 'P' })).toThrow(
      /Both branches of gate/,
    );
  });

  it('reads in code and condition expressions count; code reads its input through the wrapper', () => {
    expect([...nodeReads({ config: { code: 'return nodes.a.output + nodes["b-2"].output + input.x' } })]).toEqual([
      'a',
      'b-2',
    ]);
    expect([...nodeReads({ config: { expression: 'nodes.flag.output.value = true' } })]).toEqual(['flag']);
    const g = doc(
      [
        { id: 'in', type: 'input', config: {} },
        t('a', 1),
        { id: 'calc', type: 'code', config: { code: 'return nodes.a.output + input.n;' } },
      ],
      [e('in', 'a'), e('a', 'calc')],
    );
    const x = subgraphFromSelection(g, ['calc'], { graphId: 'p', name: 'P' });
    expect(x.child.nodes.find((n) => n.id === 'calc')!.config['code']).toBe(
      'input = input.input;\nreturn nodes.a.output + input.n;',
    );
  });
});
