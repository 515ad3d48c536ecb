/**
 * How a run ends once its driver has nothing left to start or wait on in this process: a pure
 * decision over the run's state (the driver commits the events it names, then stops as it says),
 * and the outcome a caller is answered with.
 */
import { ev, type NewEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import { asNodeId } from '../ids.js';
import type { RunOutcome } from './context.js';
import { isFinishedNode, isTerminalRun } from './machines.js';
import type { RunState } from './state.js';

export type RunEnd =
  /** Commit `events`, run the compensations, then end the run `outcome` (failed: at `failedNode`). */
  | { kind: 'compensate'; outcome: 'failed' | 'cancelled'; failedNode?: string; events: NewEvent[] }
  /** Commit `events` and stop: the run waits for people (approvals, in-doubt nodes, child runs). */
  | { kind: 'wait'; events: NewEvent[]; waitingFor: string[] }
  /** Stop: the run is paused. */
  | { kind: 'pause'; events: NewEvent[] }
  /** Commit `events` (a success, or nothing for a run already ended) and stop. */
  | { kind: 'stop'; events: NewEvent[] };

/** `now`: the clock's time, for a succeeded run's duration. */
export function runEnd(s: RunState, graph: Graph, cancelling: boolean, now: number): RunEnd {
  const open: string[] = [];
  let failed: string | undefined;
  for (const [id, n] of s.nodes) {
    if (n.status === 'waiting' || n.status === 'in-doubt') open.push(id);
    if (n.status === 'failed' && failed === undefined) failed = id;
  }
  if (cancelling && !isTerminalRun(s.status)) {
    const unfinished = [...s.nodes].filter(([, n]) => !isFinishedNode(n.status)).map(([id]) => asNodeId(id));
    return { kind: 'compensate', outcome: 'cancelled', events: unfinished.map((id) => ev('node.cancelled', {}, id)) };
  }
  if (!isTerminalRun(s.status) && failed === undefined && s.status !== 'paused' && open.length > 0) {
    const children = open.flatMap((id) => s.nodes.get(id)!.waitingChildren ?? []);
    const data = children.length > 0 ? { nodeIds: open, children } : { nodeIds: open };
    return { kind: 'wait', events: s.status === 'waiting' ? [] : [ev('run.waiting', data)], waitingFor: open };
  }
  if (s.status === 'paused') return { kind: 'pause', events: [] };
  if (s.status === 'running' && failed === undefined && [...s.nodes.values()].some((n) => n.status === 'cancelled')) {
    // A node was cancelled without a cancel of the run (a defect, not a success): end the run cancelled.
    return { kind: 'compensate', outcome: 'cancelled', events: [] };
  }
  if (s.status === 'running' && failed !== undefined) {
    // A failure fails the run (docs/graph-format.md "Edges and skips"), even when it closes an
    // approval another branch had open.
    const events = open.map((id) => ev('node.cancelled', {}, asNodeId(id)));
    return { kind: 'compensate', outcome: 'failed', failedNode: failed, events };
  }
  if (s.status === 'running') {
    const result: Record<string, unknown> = {};
    for (const node of graph.nodes) {
      const n = s.nodes.get(node.id)!;
      if (node.type === 'output' && n.status === 'succeeded') result[node.id] = n.output;
    }
    const started = s.startedAt ? Date.parse(s.startedAt) : now;
    return { kind: 'stop', events: [ev('run.succeeded', { result, durationMs: Math.max(0, now - started) })] };
  }
  return { kind: 'stop', events: [] };
}

/** What a run's driver answers with, from its state. */
export function outcomeOf(s: RunState): RunOutcome {
  const out: RunOutcome = { runId: s.runId, status: s.status };
  if (s.status === 'succeeded') out.result = s.result;
  if (s.error)
    out.error = { kind: s.error.kind, message: s.error.message, ...(s.failedNodeId ? { nodeId: s.failedNodeId } : {}) };
  if (s.pauseReason && s.status === 'paused') out.pauseReason = s.pauseReason;
  if (s.compensated !== undefined) out.compensated = s.compensated;
  if (s.status === 'waiting')
    out.waitingFor = [...s.nodes]
      .filter(([, n]) => n.status === 'waiting' || n.status === 'in-doubt')
      .map(([id]) => id);
  return out;
}
