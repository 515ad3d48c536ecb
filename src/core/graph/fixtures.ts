/** Small graph builders for tests. Plain objects (not validated): tests break them on purpose. */
import type { Graph, GraphEdge, GraphNode } from './schema.js';

type RawNode = Omit<GraphNode, 'type' | 'config'> & { type: string; config?: Record<string, unknown> };

export const node = {
  input: (id = 'start'): RawNode => ({ id, type: 'input' }),
  llm: (id: string, prompt: string, extra: Record<string, unknown> = {}): RawNode => ({
    id,
    type: 'llm',
    config: { provider: 'mock', model: 'mock-1', prompt, mock: { reply: 'ok', tokensPerSecond: 0 }, ...extra },
  }),
  transform: (id: string, template: unknown): RawNode => ({ id, type: 'transform', config: { template } }),
  condition: (id: string, expression: string): RawNode => ({ id, type: 'condition', config: { expression } }),
  approval: (id: string, title = 'Approve?'): RawNode => ({ id, type: 'approval', config: { title } }),
  code: (id: string, code: string): RawNode => ({ id, type: 'code', config: { code } }),
  http: (id: string, url: string, method = 'GET'): RawNode => ({ id, type: 'http', config: { method, url } }),
  output: (id: string, value: unknown): RawNode => ({ id, type: 'output', config: { value } }),
};

export const edge = (id: string, source: string, target: string, when?: boolean): GraphEdge =>
  when === undefined ? { id, source, target } : { id, source, target, when };

/** A raw graph document around the given nodes and edges. */
export function rawGraph(
  nodes: RawNode[],
  edges: GraphEdge[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { format: 'statepipe.graph', version: 1, id: 'test-graph', ...extra, nodes, edges };
}

/** start -> extract -> summary, with a prompt that may be replaced to break it. */
export function chain(summaryPrompt = 'Summarize {{nodes.extract.output.text}}'): Record<string, unknown> {
  return rawGraph(
    [node.input('start'), node.llm('extract', 'Extract from {{input.text}}'), node.llm('summary', summaryPrompt)],
    [edge('e1', 'start', 'extract'), edge('e2', 'extract', 'summary')],
    { input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
  );
}

/** a -> b, a -> c, b -> d, c -> d (nodes listed as given). */
export function diamond(order: string[] = ['a', 'b', 'c', 'd']): Graph {
  return rawGraph(
    order.map((id) => ({ id, type: 'transform', config: { template: id } })),
    [edge('ab', 'a', 'b'), edge('ac', 'a', 'c'), edge('bd', 'b', 'd'), edge('cd', 'c', 'd')],
  ) as unknown as Graph;
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random DAG of `n` nodes: each node gets up to `maxParents` parents among nodes of lower
 * rank; nodes are listed in a shuffled order so that appearance order differs from rank.
 */
export function randomDag(n: number, seed = 1, maxParents = 3): Graph {
  const rand = prng(seed);
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const edges: GraphEdge[] = [];
  for (let i = 1; i < n; i++) {
    const k = Math.floor(rand() * (maxParents + 1));
    const seen = new Set<number>();
    for (let j = 0; j < k; j++) {
      const p = Math.floor(rand() * i);
      if (seen.has(p)) continue;
      seen.add(p);
      edges.push(edge(`e${edges.length}`, ids[p]!, ids[i]!));
    }
  }
  const listed = [...ids];
  for (let i = listed.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [listed[i], listed[j]] = [listed[j]!, listed[i]!];
  }
  return rawGraph(
    listed.map((id) => ({ id, type: 'transform', config: { template: id } })),
    edges,
  ) as unknown as Graph;
}
