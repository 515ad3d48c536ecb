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

/**
 * An approval a child run holds is decided through the parent (`approve PARENT gate`) when it is
 * the only one waiting at that node id; when several child runs wait at the same node (a map's
 * items), approve refuses to guess, so the hint names the child run. A node in doubt in a child
 * run is retried (or resolved) in that run.
 */
export function approveHint(runId: string, node: Waiting): ApprovalHint {
  const waits = (node.waitingChildren ?? []).flatMap((c) =>
    c.nodeIds.map((id) => ({ runId: c.runId, nodeId: id, doubt: c.inDoubt?.includes(id) === true })),
  );
  if (waits.length === 0)
    return { approvals: [node.nodeId], doubts: [], command: `statepipe approve ${runId} ${node.nodeId}` };
  const gates = waits.filter((w) => !w.doubt);
  const doubts = waits.filter((w) => w.doubt);
  const shared = (id: string) => gates.filter((w) => w.nodeId === id).length > 1;
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
