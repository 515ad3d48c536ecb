/** The command that decides a waiting node's approval: its own, or one its child runs hold. */

interface Waiting {
  nodeId: string;
  /** A composition node's child runs that wait, and where. */
  waitingChildren?: readonly { runId: string; nodeIds: readonly string[] }[] | undefined;
}

export interface ApprovalHint {
  /** Every approval this node waits on, as `node` or `node (in CHILD_RUN)`. */
  approvals: string[];
  /** The command that decides the first. */
  command: string;
}

/**
 * An approval a child run holds is decided through the parent (`approve PARENT gate`) when it is
 * the only one waiting at that node id; when several child runs wait at the same node (a map's
 * items), approve refuses to guess, so the hint names the child run.
 */
export function approveHint(runId: string, node: Waiting): ApprovalHint {
  const waits = (node.waitingChildren ?? []).flatMap((c) => c.nodeIds.map((id) => ({ runId: c.runId, nodeId: id })));
  if (waits.length === 0) return { approvals: [node.nodeId], command: `statepipe approve ${runId} ${node.nodeId}` };
  const shared = (id: string) => waits.filter((w) => w.nodeId === id).length > 1;
  const first = waits[0]!;
  return {
    approvals: waits.map((w) => (shared(w.nodeId) ? `${w.nodeId} (in ${w.runId})` : w.nodeId)),
    command: `statepipe approve ${shared(first.nodeId) ? first.runId : runId} ${first.nodeId}`,
  };
}
