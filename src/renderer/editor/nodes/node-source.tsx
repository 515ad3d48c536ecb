/**
 * Where a canvas node reads its graph node and its run state. The editor's canvas reads the
 * document and the current run; a read-only canvas of a run (run mode, run detail, time travel)
 * provides its own source: `graphSource(graph, useRunNode)`.
 */
import { createContext, useContext } from 'react';
import type { Graph, GraphNode } from '../../../core/graph/schema';
import { useDoc } from '../../doc/store';
import { useNodeView } from '../../run/run-store';
import type { NodeView } from '../../run/run-view';

export interface NodeSource {
  /** No editing: no handles to connect, no problems shown. */
  readOnly: boolean;
  /** Approve/reject buttons on waiting approvals (a live run, not a replay). */
  controls: boolean;
  useNode(id: string): GraphNode | undefined;
  useProblems(id: string): string;
  useInputSchema(): unknown;
  useRunNode(id: string): NodeView | undefined;
}

export const docSource: NodeSource = {
  readOnly: false,
  controls: true,
  useNode: (id) => useDoc((s) => s.index.get(id)),
  useProblems: (id) => useDoc((s) => s.issues.nodes[id]?.join('\n') ?? ''),
  useInputSchema: () => useDoc((s) => s.graph.input),
  useRunNode: useNodeView,
};

const indexes = new WeakMap<Graph, Map<string, GraphNode>>();
export const graphIndex = (g: Graph): Map<string, GraphNode> => {
  let m = indexes.get(g);
  if (!m) indexes.set(g, (m = new Map(g.nodes.map((n) => [n.id, n]))));
  return m;
};

/** A read-only source over a fixed graph and a run-state hook (make it once per graph, e.g. with useMemo). */
export function graphSource(
  graph: Graph,
  useRunNode: (id: string) => NodeView | undefined,
  opts: { controls?: boolean } = {},
): NodeSource {
  const index = graphIndex(graph);
  return {
    readOnly: true,
    controls: opts.controls ?? false,
    useNode: (id) => index.get(id),
    useProblems: () => '',
    useInputSchema: () => graph.input,
    useRunNode,
  };
}

export const NodeSourceContext = createContext<NodeSource>(docSource);
export const useNodeSource = (): NodeSource => useContext(NodeSourceContext);
