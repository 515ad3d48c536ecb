/** New nodes and documents: their default config and the unique ids they get. Pure. */
import type { Graph, GraphNode } from '../../core/graph/schema';
import { findKind, kindOf, type NodeType } from '../../core/nodes/registry';

/** A config that validates as is, so a freshly dropped node shows no error until edited. */
export const defaultConfig = (type: NodeType): Record<string, unknown> => ({ ...kindOf({ type }).defaultConfig() });

/** Human name of a type (palette, panel, card). */
export const typeLabel = (type: string): string => findKind(type)?.label ?? type;

/** The smallest `<prefix><n>` (n ≥ 1) not in `taken`. */
export function uniqueId(prefix: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const id = `${prefix}${n}`;
    if (!taken.has(id)) return id;
  }
}

/** `llm_1`, `llm_2`, … for a new node of `type`. */
export function newNodeId(graph: Pick<Graph, 'nodes'>, type: string, extra: ReadonlySet<string> = new Set()): string {
  const taken = new Set(graph.nodes.map((n) => n.id));
  for (const id of extra) taken.add(id);
  return uniqueId(`${type}_`, taken);
}

/** `e1`, `e2`, … */
export function newEdgeId(graph: Pick<Graph, 'edges'>, extra: ReadonlySet<string> = new Set()): string {
  const taken = new Set(graph.edges.map((e) => e.id));
  for (const id of extra) taken.add(id);
  return uniqueId('e', taken);
}

export function makeNode(graph: Pick<Graph, 'nodes'>, type: NodeType, position: { x: number; y: number }): GraphNode {
  return {
    id: newNodeId(graph, type),
    type,
    position: { x: Math.round(position.x), y: Math.round(position.y) },
    config: defaultConfig(type),
  };
}

/** A new empty document. */
export function emptyGraph(id = 'untitled', name = 'Untitled graph'): Graph {
  return { format: 'statepipe.graph', version: 1, id, name, nodes: [], edges: [] };
}

/** The node a whole-run rerun starts from: the input node, else the first node without incoming edges. */
export function entryNode(graph: {
  nodes: { id: string; type: string }[];
  edges: { target: string }[];
}): string | undefined {
  const targets = new Set(graph.edges.map((e) => e.target));
  return graph.nodes.find((n) => n.type === 'input')?.id ?? graph.nodes.find((n) => !targets.has(n.id))?.id;
}

/** Whether edges leaving this type carry `when` (two handles: true / false). */
export const isBranching = (type: string): boolean => findKind(type)?.branch !== undefined;
