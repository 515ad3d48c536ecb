/**
 * What a person's control needs of a run before it may be carried out. The engine checks these
 * inside its transaction; `--dry-run` checks the same before it plans, so both refuse alike.
 */
import { AppError } from '../errors.js';
import type { GraphNode } from '../graph/schema.js';
import { isTerminalRun } from './machines.js';
import type { NodeState, RunState } from './state.js';

export function nodeIn(state: RunState, nodeId: string): NodeState {
  const n = state.nodes.get(nodeId);
  if (!n) throw new AppError('not-found', `node ${nodeId} not found in run ${state.runId}`);
  return n;
}

export function assertResumable(state: RunState): void {
  if (isTerminalRun(state.status))
    throw new AppError('illegal-transition', `run ${state.runId} is ${state.status} and cannot be resumed`);
}

export function assertApprovable(state: RunState, node: GraphNode | undefined, nodeId: string): NodeState {
  const n = nodeIn(state, nodeId);
  if (node?.type !== 'approval' || n.status !== 'waiting') {
    const type = node?.type ?? 'unknown';
    const what = `${/^(?:[aeiou]|llm|http)/.test(type) ? 'an' : 'a'} ${type} node`;
    // A composition node waits for its children's approvals: name them, decidable from here too.
    const child = n.waitingChildren?.[0];
    const hint = child
      ? `; its child run ${child.runId} waits at ${child.nodeIds.join(', ')}: approve that node`
      : node?.type === 'approval'
        ? decidedAlready(n)
        : '';
    throw new AppError(
      'illegal-transition',
      `node ${nodeId} of run ${state.runId} is not waiting for approval (it is ${what}, status ${n.status})${hint}`,
    );
  }
  return n;
}

/** An approval decided before (a second click, a view that was behind): by whom, if it says. */
function decidedAlready(n: NodeState): string {
  if (n.status === 'succeeded') {
    const out = n.output as { approved?: unknown; by?: unknown } | undefined;
    const by = typeof out?.by === 'string' && out.by ? ` by ${out.by}` : '';
    return `: it was already ${out?.approved === false ? 'rejected' : 'approved'}${by}`;
  }
  return n.error?.kind === 'rejected' ? ': it was already rejected' : '';
}

export function assertRetryable(state: RunState, nodeId: string): NodeState {
  const n = nodeIn(state, nodeId);
  if (n.status !== 'failed' && n.status !== 'in-doubt') {
    throw new AppError(
      'illegal-transition',
      `node ${nodeId} of run ${state.runId} is ${n.status}; only a failed or in-doubt node can be retried`,
    );
  }
  if ([...state.nodes.values()].some((x) => x.compensation)) {
    throw new AppError(
      'illegal-transition',
      `run ${state.runId} has already been compensated; start a new run with rerun --from ${nodeId}`,
    );
  }
  return n;
}

export function assertResolvable(state: RunState, nodeId: string): NodeState {
  const n = nodeIn(state, nodeId);
  if (n.status !== 'in-doubt')
    throw new AppError('illegal-transition', `node ${nodeId} of run ${state.runId} is ${n.status}, not in-doubt`);
  return n;
}
