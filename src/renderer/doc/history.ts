/** Undo/redo as a history of graph snapshots. Pure: every function returns a new history. */
import type { Graph } from '../../core/graph/schema';

export interface History {
  past: Graph[];
  future: Graph[];
}

export const HISTORY_LIMIT = 200;
export const emptyHistory = (): History => ({ past: [], future: [] });

/** Records `before` (the graph before an edit) as an undo step; clears redo. */
export function record(h: History, before: Graph): History {
  const past = h.past.length >= HISTORY_LIMIT ? h.past.slice(h.past.length - HISTORY_LIMIT + 1) : h.past.slice();
  past.push(before);
  return { past, future: [] };
}

/** Steps back from `current`, or null when there is nothing to undo. */
export function undo(h: History, current: Graph): { history: History; graph: Graph } | null {
  const graph = h.past[h.past.length - 1];
  if (!graph) return null;
  return { graph, history: { past: h.past.slice(0, -1), future: [current, ...h.future] } };
}

/** Steps forward, or null when there is nothing to redo. */
export function redo(h: History, current: Graph): { history: History; graph: Graph } | null {
  const graph = h.future[0];
  if (!graph) return null;
  return { graph, history: { past: [...h.past, current], future: h.future.slice(1) } };
}
