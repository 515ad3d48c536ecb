/**
 * Graphs of the runs this page started (the document it sent): the run view shows them at once,
 * without fetching the snapshot back first. Kept apart from the session (which loads the fold):
 * the editor's Run button stays light.
 */
import type { Graph } from '../../core/graph/schema';

const started = new Map<string, Graph>();

export function rememberRunGraph(runId: string, graph: Graph): void {
  started.set(runId, graph);
}

export const startedGraph = (runId: string): Graph | undefined => started.get(runId);
