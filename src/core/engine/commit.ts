/**
 * Committing events: check them against the machines, append them to the store in one
 * transaction, apply them to the in-memory state, then publish. Nothing is published
 * (or applied) before the store has committed it.
 */
import type { NewEvent, RunEvent } from '../events.js';
import type { RunStore } from '../ports.js';
import type { NodeStatus, RunStatus } from '../ports.js';
import { nextNodeStatus, nextRunStatus, nodeMachineEvent, runMachineEvent } from './machines.js';
import { applyEvent, type RunState } from './state.js';

/** Throws AppError('illegal-transition') if any event of the batch, in order, is refused. */
export function precheck(state: RunState, events: readonly NewEvent[]): void {
  let run: RunStatus = state.status;
  const nodes = new Map<string, NodeStatus>();
  for (const e of events) {
    const re = runMachineEvent(e.type);
    if (re) run = nextRunStatus(run, re);
    if (e.nodeId !== undefined && e.type !== 'node.log') {
      const current = nodes.get(e.nodeId) ?? state.nodes.get(e.nodeId)?.status;
      if (current === undefined) throw new Error(`unknown node ${e.nodeId}`);
      const ne = nodeMachineEvent(e.type, e.data as { reusedFrom?: string });
      if (ne) nodes.set(e.nodeId, nextNodeStatus(e.nodeId, current, ne));
    }
  }
}

export type Publish = (events: RunEvent[]) => void;

export function commitEvents(store: RunStore, state: RunState, events: NewEvent[], publish?: Publish): RunEvent[] {
  if (events.length === 0) return [];
  precheck(state, events);
  const committed = store.append(state.runId, events);
  for (const e of committed) applyEvent(state, e);
  publish?.(committed);
  return committed;
}
