/**
 * Where a canvas card reads its graph node, its problems and its run state. The editor's
 * canvas reads the document; a read-only canvas of a run (the run view, time travel, a diff)
 * provides its own source: `graphSource(graph, useRunNode)`.
 */
import { createContext, useContext } from 'react';
import type { Graph, GraphNode } from '../../core/graph/schema';
import type { NodeError } from '../../core/errors';
import type { NodeStatus } from '../../core/ports';

/** How a diff marks a card: its output (or config) changed, or the node is in one side only. */
export type DiffMark = 'changed' | 'same' | 'only-a' | 'only-b';
export interface NodeMark {
  diff?: DiffMark;
  note?: string;
}

/** What a card shows of its node's run (the run fold's node snapshot has these and more). */
export interface CardRun {
  status: NodeStatus;
  attempt: number;
  /** The config its latest attempt ran with, templates rendered (a run's card shows that, not `{{…}}`). */
  input?: unknown;
  tokens: number;
  /** Counting live (a run's card): `tokens` plus what its attempt still running has used; `≈` while estimated. */
  liveTokens?: number;
  estimating?: boolean;
  stream: string;
  error?: NodeError;
  /** A composition node: its children's progress (`37 / 120 items`, `iteration 3`, `child running`). */
  progress?: { text: string; done: number; failed: number; total?: number; waits?: string };
}

export interface NodeSource {
  /** No editing: no handles to connect, no problems shown. */
  readOnly: boolean;
  /** Approve/reject on a waiting approval (a live run, not a replay or a diff). */
  decide?(nodeId: string, approved: boolean): void;
  /** Opens a composition node's child run (a subgraph's child, a loop's latest iteration; a map's items). */
  openChild?(nodeId: string): void;
  /** Whether the run state shown is the live one (time travel shows the past: no controls). */
  useLive?(): boolean;
  useNode(id: string): GraphNode | undefined;
  useProblems(id: string): string;
  useInputSchema(): unknown;
  useRunNode(id: string): CardRun | undefined;
  useMark?(id: string): NodeMark | undefined;
}

const indexes = new WeakMap<Graph, Map<string, GraphNode>>();
export const graphIndex = (g: Graph): Map<string, GraphNode> => {
  let m = indexes.get(g);
  if (!m) indexes.set(g, (m = new Map(g.nodes.map((n) => [n.id, n]))));
  return m;
};

/** A read-only source over a fixed graph and a run-state hook (make it once per graph, e.g. with useMemo). */
export function graphSource(
  graph: Graph,
  useRunNode: (id: string) => CardRun | undefined,
  opts: Pick<NodeSource, 'decide' | 'useLive' | 'useMark' | 'openChild'> = {},
): NodeSource {
  const index = graphIndex(graph);
  return {
    readOnly: true,
    useNode: (id) => index.get(id),
    useProblems: () => '',
    useInputSchema: () => graph.input,
    useRunNode,
    ...opts,
  };
}

export const NodeSourceContext = createContext<NodeSource | null>(null);
export function useNodeSource(): NodeSource {
  const src = useContext(NodeSourceContext);
  if (!src) throw new Error('statepipe: a canvas card needs a NodeSourceContext above it');
  return src;
}
