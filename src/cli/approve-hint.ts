/** The command that decides a waiting node: its own approval, or what its child runs hold. */
import type { WaitingChild } from '../core/events.js';

interface Waiting {
  nodeId: string;
  /** A composition node's child runs that wait, and where (the run that holds the decision). */
  waitingChildren?: readonly WaitingChild[] | undefined;
}

export interface ApprovalHint {
  /** Every approval this node waits on, as `node` or `node (in CHILD_RUN)`. */
  approvals: string[];
  /** Every node in doubt in its child runs, as `node (in CHILD_RUN)`: retried or resolved there. */
  doubts: string[];
  /** The command that decides the first approval, else the first node in doubt. */
  command: string;
}

const waitsOf = (node: Waiting) =>
  (node.waitingChildren ?? []).flatMap((c) =>
    c.nodeIds.map((id) => ({ runId: c.runId, nodeId: id, doubt: c.inDoubt?.includes(id) === true })),
  );

/**
 * An approval a child run holds is decided through the parent (`approve PARENT gate`) when it is
 * the only one waiting at that node id in the whole run (`run`: every node of it, when known) and
 * the run has no node of that id itself; when several child runs wait at the same node id (a map's
 * items, or the children of two composition nodes), approve refuses to guess, so the hint names
 * the child run. A node in doubt in a child run is retried (or resolved) in that run.
 */
export function approveHint(runId: string, node: Waiting, run: readonly Waiting[] = [node]): ApprovalHint {
  const waits = waitsOf(node);
  if (waits.length === 0)
    return { approvals: [node.nodeId], doubts: [], command: `statepipe approve ${runId} ${node.nodeId}` };
  const gates = waits.filter((w) => !w.doubt);
  const doubts = waits.filter((w) => w.doubt);
  const everyGate = run.flatMap(waitsOf).filter((w) => !w.doubt);
  const shared = (id: string) =>
    everyGate.filter((w) => w.nodeId === id).length > 1 || run.some((n) => n.nodeId === id);
  const firstGate = gates[0];
  const firstDoubt = doubts[0];
  const command = firstGate
    ? `statepipe approve ${shared(firstGate.nodeId) ? firstGate.runId : runId} ${firstGate.nodeId}`
    : `statepipe retry ${firstDoubt!.runId} ${firstDoubt!.nodeId}`;
  return {
    approvals: gates.map((w) => (shared(w.nodeId) ? `${w.nodeId} (in ${w.runId})` : w.nodeId)),
    doubts: doubts.map((w) => `${w.nodeId} (in ${w.runId})`),
    command,
  };
}

/**
 * A waiting node whose record is behind its child runs: a child it lists as waiting has moved on
 * (its own status is no longer `waiting`), as a process killed between the child's write and the
 * parent's leaves it. The decision is no longer there to take; a resume reads the children again.
 * Undefined when every child it lists still waits.
 */
export function behindHint(
  runId: string,
  node: Waiting,
  statusOf: (childRunId: string) => string | undefined,
): string | undefined {
  for (const c of node.waitingChildren ?? []) {
    const status = statusOf(c.runId);
    if (status !== undefined && status !== 'waiting')
      return `statepipe resume ${runId} (child run ${c.runId} is ${status}: this run's record is behind it)`;
  }
  return undefined;
}
