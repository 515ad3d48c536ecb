/**
 * A person's controls on a run, as the events they commit inside its driver (through the
 * RunContext port): decide an approval, retry a node, resolve an in-doubt node. The checks
 * are the same ones `--dry-run` makes (preconditions.ts).
 */
import { ev, type NewEvent } from '../events.js';
import type { Topology } from '../graph/topology.js';
import { asNodeId } from '../ids.js';
import { assertApprovable, assertResolvable, assertRetryable } from './preconditions.js';
import type { RunContext } from './run-context.js';
import type { RunState } from './state.js';

export interface Decision {
  approved: boolean;
  by?: string;
  comment?: string;
  data?: unknown;
}

export function decide(run: RunContext, nodeId: string, decision: Decision): void {
  const n = assertApprovable(run.state, run.nodes.get(nodeId), nodeId);
  const { approved, ...rest } = decision;
  const output = { approved, ...rest };
  const now = run.deps.clock.now();
  const durationMs = Math.max(0, now - (n.attempts.at(-1)?.startedAt ?? now));
  const id = asNodeId(nodeId);
  const hasNoBranch = (run.topo.outgoing.get(nodeId) ?? []).some((e) => e.when === false);
  if (approved || hasNoBranch) {
    const decided = approved ? ev('approval.granted', rest, id) : ev('approval.rejected', rest, id);
    run.commit([decided, ev('node.succeeded', { attempt: n.attempt, durationMs, output }, id)]);
  } else {
    const message = `approval ${nodeId} was rejected${decision.comment ? `: ${decision.comment}` : ''}`;
    const error = { kind: 'rejected' as const, message, retryable: false };
    run.commit([ev('approval.rejected', rest, id), ev('node.failed', { attempt: n.attempt, durationMs, error }, id)]);
  }
  run.finished(id);
}

/** Retries a failed or in-doubt node (a failed run continues); nodes skipped because of it come back. */
export function retryNode(run: RunContext, nodeId: string): void {
  const n = assertRetryable(run.state, nodeId);
  const events: NewEvent[] = [];
  if (run.state.status === 'failed') events.push(ev('run.retried', { nodeId }));
  events.push(ev('node.requeued', { attempt: n.attempt }, asNodeId(nodeId)));
  for (const id of run.topo.descendants(nodeId)) {
    const x = run.state.nodes.get(id)!;
    if (x.status === 'skipped' && x.skipSource)
      events.push(ev('node.reset', { reason: `retry of ${nodeId}` }, asNodeId(id)));
  }
  run.commit(events);
}

/** Marks an in-doubt node done with an output a person gives. */
export function resolveNode(run: RunContext, nodeId: string, output: unknown): void {
  const n = assertResolvable(run.state, nodeId);
  const id = asNodeId(nodeId);
  run.commit([ev('node.succeeded', { attempt: n.attempt, durationMs: 0, output, resolved: true }, id)]);
  run.finished(id);
}

/**
 * The events a rerun starts with: the recorded outputs of every node not downstream of `from`
 * (and of the downstream ones named in `reuse`), and the branches not taken above it.
 */
export function reusedEvents(topo: Topology, state: RunState, from: string, reuse: readonly string[]): NewEvent[] {
  const redo = new Set([from, ...topo.descendants(from)]);
  for (const id of reuse) if (state.nodes.get(id)!.status === 'succeeded') redo.delete(id);
  const extra: NewEvent[] = [];
  for (const id of topo.order) {
    if (redo.has(id)) continue;
    const n = state.nodes.get(id)!;
    const nodeId = asNodeId(id);
    if (n.status === 'succeeded')
      extra.push(
        ev('node.succeeded', { attempt: 0, durationMs: 0, output: n.output, reusedFrom: state.runId }, nodeId),
      );
    else if (n.status === 'skipped' && !n.skipSource)
      extra.push(ev('node.skipped', { reason: n.skipReason ?? 'branch not taken' }, nodeId));
  }
  return extra;
}
