/**
 * Committing events: check them against the machines, append them to the store in one
 * transaction, apply them to the in-memory state, then publish. Nothing is published
 * (or applied) before the store has committed it.
 */
import { AppError } from '../errors.js';
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

/**
 * Events staged in memory (checked, numbered and applied to the state) and committed to the
 * store together: one transaction for a node's end and what it makes ready. Nothing is
 * published, and no runner starts on their account, before the store has committed them.
 */
export class Stage {
  private staged: RunEvent[] = [];

  constructor(
    private readonly store: RunStore,
    private readonly state: RunState,
    private readonly now: () => number,
  ) {}

  private lastMs = -1;
  private lastIso = '';

  private isoNow(): string {
    const ms = this.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  add(events: readonly NewEvent[]): void {
    precheck(this.state, events);
    const ts = this.isoNow();
    for (const e of events) {
      const full = { ...e, seq: this.state.seq + 1, runId: this.state.runId, ts } as RunEvent;
      applyEvent(this.state, full);
      this.staged.push(full);
    }
  }

  get size(): number {
    return this.staged.length;
  }

  /** Commits what is staged in one transaction and returns the events as the store committed them. */
  flush(): RunEvent[] {
    if (this.staged.length === 0) return [];
    const staged = this.staged;
    this.staged = [];
    const committed = this.store.append(
      this.state.runId,
      staged.map(
        (e) =>
          (e.nodeId === undefined
            ? { type: e.type, data: e.data }
            : { type: e.type, nodeId: e.nodeId, data: e.data }) as NewEvent,
      ),
    );
    if (committed[0]?.seq !== staged[0]!.seq) {
      throw new AppError(
        'conflict',
        `run ${this.state.runId} was written by another process (expected seq ${staged[0]!.seq}, got ${committed[0]?.seq})`,
      );
    }
    return committed;
  }
}

export function commitEvents(store: RunStore, state: RunState, events: NewEvent[], publish?: Publish): RunEvent[] {
  if (events.length === 0) return [];
  precheck(state, events);
  const committed = store.append(state.runId, events);
  for (const e of committed) applyEvent(state, e);
  publish?.(committed);
  return committed;
}
