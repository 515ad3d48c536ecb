/** The no-op graphs of the benchmark: transform nodes with a constant template, validated like any graph. */
import { randomDag } from '../../src/core/graph/fixtures.js';
import type { Graph } from '../../src/core/graph/schema.js';
import { validateGraph } from '../../src/core/graph/validate.js';

export type Shape = 'chain' | 'fanout' | 'dag';

export interface GraphSpec {
  shape: Shape;
  /** chain/dag: node count; fanout: width (the graph has width + 2 nodes). */
  n: number;
}

export const graphLabel = (g: GraphSpec): string => {
  switch (g.shape) {
    case 'chain':
      return `chain ${g.n}`;
    case 'fanout':
      return `fan-out ${g.n}`;
    case 'dag':
      return `random DAG ${g.n}`;
  }
};

export const graphKey = (g: GraphSpec): string => `${g.shape}-${g.n}`;

/** Nodes a run of this graph executes. */
export const nodeCount = (g: GraphSpec): number => (g.shape === 'fanout' ? g.n + 2 : g.n);

const t = (id: string) => ({ id, type: 'transform', config: { template: id } });

function raw(nodes: unknown[], edges: { id: string; source: string; target: string }[], id: string): unknown {
  return { format: 'statepipe.graph', version: 1, id, nodes, edges };
}

/** A validated graph document for the spec. */
export function buildGraph(g: GraphSpec): Graph {
  const id = `bench-${g.shape}-${g.n}`;
  if (g.shape === 'chain') {
    const nodes = Array.from({ length: g.n }, (_, i) => t(`n${i}`));
    const edges = Array.from({ length: g.n - 1 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` }));
    return validateGraph(raw(nodes, edges, id));
  }
  if (g.shape === 'fanout') {
    const nodes = [t('src'), ...Array.from({ length: g.n }, (_, i) => t(`w${i}`)), t('join')];
    const edges = [];
    for (let i = 0; i < g.n; i++) {
      edges.push({ id: `a${i}`, source: 'src', target: `w${i}` });
      edges.push({ id: `b${i}`, source: `w${i}`, target: 'join' });
    }
    return validateGraph(raw(nodes, edges, id));
  }
  const dag = randomDag(g.n, 7, 3);
  return validateGraph({ ...dag, id });
}

/** A chain whose node `approvalAt` is an approval: a run of it stops there, waiting. */
export function chainWithApproval(n: number, approvalAt: number): Graph {
  const nodes = Array.from({ length: n }, (_, i) =>
    i === approvalAt ? { id: `n${i}`, type: 'approval', config: { title: 'halfway' } } : t(`n${i}`),
  );
  const edges = Array.from({ length: n - 1 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` }));
  return validateGraph(raw(nodes, edges, `bench-chain-approval-${n}`));
}

/** input → one mock llm node → output (its reply's text): the CLI and serve cases' runs. */
export function mockLlmGraph(id: string, prompt: string, mock: Record<string, unknown>): Record<string, unknown> {
  return {
    format: 'statepipe.graph',
    version: 1,
    id,
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'ask', type: 'llm', config: { provider: 'mock', model: 'mock-1', prompt, mock } },
      { id: 'done', type: 'output', config: { value: '{{nodes.ask.output.text}}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'ask' },
      { id: 'e2', source: 'ask', target: 'done' },
    ],
  };
}
