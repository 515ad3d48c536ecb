/**
 * Which nodes of a run may start: the queue of ready nodes, in the order they became ready, and
 * how many sources each node still waits for. A node is looked at only when its last source
 * finishes (or a source fails), so a wide fan-in costs O(edges) for the whole run, not O(edges)
 * per finished source. Queueing and skipping are staged as events through the run.
 */
import { ev, type NewEvent } from '../events.js';
import type { GraphNode } from '../graph/schema.js';
import type { Topology } from '../graph/topology.js';
import { asNodeId, type NodeId } from '../ids.js';
import { isFinishedNode } from './machines.js';
import { readiness } from './plan.js';
import type { RunState } from './state.js';

/** What the queue needs of its run's driver. */
export interface ReadyRun {
  readonly state: RunState;
  readonly topo: Topology;
  readonly nodes: Map<string, GraphNode>;
  commit(events: NewEvent[]): void;
  /** Cancelling: nothing more is queued. */
  readonly cancelling: boolean;
  /** A task of the node runs now (it is not queued again). */
  inFlight(id: string): boolean;
}

export class ReadyNodes {
  private ready: string[] = [];
  private readonly queued = new Set<string>();
  /** How many incoming edges of each node still wait for their source to finish. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly run: ReadyRun) {}

  get size(): number {
    return this.ready.length;
  }

  /** The node to start next, left in the queue (`take` removes it). */
  peek(): NodeId | undefined {
    const id = this.ready[0];
    return id === undefined ? undefined : asNodeId(id);
  }

  take(): void {
    const id = this.ready.shift();
    if (id !== undefined) this.queued.delete(id);
  }

  enqueue(id: NodeId): void {
    if (this.queued.has(id) || this.run.inFlight(id)) return;
    this.queued.add(id);
    this.ready.push(id);
  }

  /** Looks at an idle node: queue it, skip it (and cascade), or leave it waiting. */
  evaluate(id: NodeId): void {
    const { state, topo, nodes } = this.run;
    const n = state.nodes.get(id)!;
    if (n.status !== 'idle') return;
    const r = readiness(id, topo, nodes, state);
    if (r.kind === 'wait') return;
    if (r.kind === 'ready') {
      if (this.run.cancelling) return;
      this.run.commit([ev('node.queued', {}, id)]);
      this.enqueue(id);
      return;
    }
    this.run.commit([ev('node.skipped', r.source ? { reason: r.reason, source: r.source } : { reason: r.reason }, id)]);
    this.finished(id);
  }

  /** A node reached a final state: its children may now be ready or skipped. */
  finished(id: NodeId): void {
    const n = this.run.state.nodes.get(id)!;
    const failed =
      n.status === 'failed' || n.status === 'cancelled' || (n.status === 'skipped' && n.skipSource !== undefined);
    for (const e of this.run.topo.outgoing.get(id) ?? []) {
      const left = (this.pending.get(e.target) ?? 1) - 1;
      this.pending.set(e.target, left);
      if (left <= 0 || failed) this.evaluate(asNodeId(e.target));
    }
  }

  /** Counts again, from the state, the sources each node waits for (a start, a person's action). */
  countPending(): void {
    const { state, topo } = this.run;
    this.pending.clear();
    for (const id of topo.order) {
      let n = 0;
      for (const e of topo.incoming.get(id) ?? []) if (!isFinishedNode(state.nodes.get(e.source)!.status)) n++;
      this.pending.set(id, n);
    }
  }
}
