/**
 * What a drive does first with the nodes a run left in flight (docs/runtime.md "Durability"): a
 * node queued is queued again; one retrying waits what is left of its delay; a composition node
 * that waited for its child runs follows them again; one that was running runs again with the
 * same attempt and key, unless it is `unsafe` (its runner may have reached the world): then it
 * checks its own effect (`verify`) or is in doubt, for a person. A polled node whose submit is
 * recorded only polls from there on.
 */
import type { GraphNode } from '../graph/schema.js';
import { asNodeId, type NodeId } from '../ids.js';
import { kindOf, sideEffectOf } from '../nodes/registry.js';
import type { EngineDeps } from './context.js';
import type { RunState } from './state.js';
import { canVerify } from './verify.js';

export type RecoveryStep =
  | { kind: 'enqueue'; id: NodeId }
  | { kind: 'launch'; id: NodeId; attempt: number; opts: { resumed?: boolean; afterMs?: number; verify?: boolean } }
  | { kind: 'in-doubt'; id: NodeId; attempt: number };

/** The steps, in the graph's order, and how many nodes were in flight (running, retrying, following children). */
export function recoveryPlan(
  state: RunState,
  nodes: ReadonlyMap<string, GraphNode>,
  order: readonly string[],
  deps: Pick<EngineDeps, 'clock' | 'services'>,
): { steps: RecoveryStep[]; inFlight: number } {
  const steps: RecoveryStep[] = [];
  let inFlight = 0;
  for (const nodeId of order) {
    const id = asNodeId(nodeId);
    const n = state.nodes.get(id)!;
    const node = nodes.get(id)!;
    if (n.status === 'queued') steps.push({ kind: 'enqueue', id });
    const follows = n.status === 'waiting' && kindOf(node).execution === 'children';
    if (n.status === 'retrying' || n.status === 'running' || follows) inFlight++;
    if (n.status === 'retrying') {
      const afterMs = Math.max(0, (n.retryAt ?? 0) - deps.clock.now());
      steps.push({ kind: 'launch', id, attempt: n.attempt + 1, opts: { afterMs } });
    }
    if (follows) steps.push({ kind: 'launch', id, attempt: n.attempt, opts: { resumed: true } });
    if (n.status !== 'running') continue;
    if (kindOf(node).execution === 'effect' && sideEffectOf(node) === 'unsafe' && !n.poll) {
      if (canVerify(node, deps.services))
        steps.push({ kind: 'launch', id, attempt: n.attempt, opts: { verify: true } });
      else steps.push({ kind: 'in-doubt', id, attempt: n.attempt });
    } else {
      steps.push({ kind: 'launch', id, attempt: n.attempt, opts: { resumed: true } });
    }
  }
  return { steps, inFlight };
}
