/**
 * The run a driver drives, as its node tasks, compensations and child runs reach it (RunContext):
 * the state folded from its log, the CommitLog its events are staged in (written, fenced by the
 * run's lease, before anyone observes them), its budget, the nodes in flight and ready.
 */
import { AppError, NodeFailure } from '../errors.js';
import { ev, type NewEvent, type RunEvent } from '../events.js';
import { type Graph, type GraphNode, DEFAULT_CONCURRENCY } from '../graph/schema.js';
import { topology, type Topology } from '../graph/topology.js';
import { asNodeId, type NodeId, type RunId } from '../ids.js';
import type { ChildRuns, Lease } from '../ports.js';
import type { ChildEngine } from './child-engine.js';
import { RunningChildren } from './running-children.js';
import { CommitLog } from './commit.js';
import type { EngineDeps, RunOutcome } from './context.js';
import { callHooks } from './hooks.js';
import { soon } from './clock.js';
import { NodeTask } from './node-task.js';
import { VerifyTask } from './verify.js';
import { ReadyNodes } from './ready-nodes.js';
import { HostTurns } from './turns.js';
import type { RunContext, Spent } from './run-context.js';
import { foldEvents, type RunState } from './state.js';

/** The run's side of a driver; RunDriver (driver.ts) adds the driving and a person's controls. */
export abstract class DriverBase implements RunContext {
  readonly state: RunState;
  readonly graph: Graph;
  readonly topo: Topology;
  readonly nodes: Map<string, GraphNode>;
  readonly outputs: Record<string, { output: unknown }> = {};
  protected readonly inflight = new Map<string, NodeTask | VerifyTask>();
  protected readonly ready: ReadyNodes;
  /** Cancelling: tasks aborted, nothing more queued or started. */
  cancelling = false;
  protected stopped_ = false;
  protected readonly done: Promise<RunOutcome>;
  protected resolveDone!: (o: RunOutcome) => void;
  protected rejectDone!: (e: unknown) => void;
  protected readonly background = new AbortController();
  protected readonly log: CommitLog;
  protected readonly turns: HostTurns;
  /** Composition nodes running now: their children, and those whose children are all blocked. */
  protected readonly children: RunningChildren;
  /** Driven only to undo a succeeded child run (DriveOptions.compensate). */
  protected compensateOnly = false;

  constructor(
    readonly deps: EngineDeps,
    readonly runId: RunId,
    loaded: { graph: Graph; events: RunEvent[] },
    lease: Lease,
    private readonly publishOut: (events: RunEvent[]) => void,
    childEngine?: ChildEngine,
  ) {
    this.children = new RunningChildren(this, childEngine, () => this.suspendIfBlocked());
    this.ready = new ReadyNodes(this);
    this.graph = loaded.graph;
    this.topo = topology(loaded.graph);
    this.nodes = new Map(loaded.graph.nodes.map((n) => [n.id, n]));
    this.state = foldEvents(runId, loaded.graph, loaded.events);
    const publish = (events: RunEvent[]) => {
      this.publishOut(events);
      if (this.deps.hooks) callHooks(this.deps, this.state, events);
    };
    const now = () => deps.clock.now();
    const eager = deps.groupCommit === false;
    // The linger holds writes only while a read is in flight: its answer soon brings the next
    // transition, which then shares the transaction. A longer wait (a delay, a person) hides the
    // write anyway, and is not made to share a blocking commit with its timer.
    const linger = deps.commitLingerMs ?? 0;
    const later =
      linger > 0 ? (fn: () => void) => (this.reading() ? void deps.clock.timer(linger, fn) : soon(fn)) : undefined;
    this.log = new CommitLog(deps.store, this.state, lease, publish, now, (err) => this.fail(err), eager, later);
    this.turns = new HostTurns(deps.clock, () => this.log.schedule());
    this.lease = lease;
    for (const [id, n] of this.state.nodes) if (n.status === 'succeeded') this.outputs[id] = { output: n.output };
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
  }

  protected readonly lease: Lease;

  /** A node whose runner began before its start was written (a read) is in flight. */
  protected reading(): boolean {
    for (const task of this.inflight.values()) if (task instanceof NodeTask && task.reading) return true;
    return false;
  }

  get concurrency(): number {
    return this.graph.concurrency ?? DEFAULT_CONCURRENCY;
  }

  get stopped(): AbortSignal {
    return this.background.signal;
  }

  /**
   * Drives no more: the run ended, waits or paused, and only its last writes and the lease's
   * release remain. An action (cancel, pause, a decision) given to it now would be dropped.
   */
  get winding(): boolean {
    return this.stopped_;
  }

  // ── RunContext ──────────────────────────────────────────────────────────────────────────

  commit(events: NewEvent[]): void {
    if (events.length === 0) return;
    this.log.add(events);
    for (const e of events)
      if (e.type === 'node.succeeded' && e.nodeId) this.outputs[e.nodeId] = { output: e.data.output };
  }

  durable(): Promise<void> {
    return this.log.flush();
  }

  /** A node reached a final state: its children may now be ready or skipped (ready-nodes.ts). */
  finished(id: NodeId): void {
    this.ready.finished(id);
  }

  inFlight(id: string): boolean {
    return this.inflight.has(id);
  }

  budgetExceeded(spent: Spent = { tokens: 0, costUsd: 0 }): boolean {
    const { maxTokens, maxCostUsd } = this.state.budget;
    return (
      (maxTokens !== undefined && this.state.tokens + spent.tokens >= maxTokens) ||
      (maxCostUsd !== undefined && this.state.costUsd + spent.costUsd >= maxCostUsd)
    );
  }

  budgetEvent(nodeId: NodeId, spent: Spent = { tokens: 0, costUsd: 0 }): NewEvent {
    const { maxTokens, maxCostUsd } = this.state.budget;
    const data = {
      tokens: this.state.tokens + spent.tokens,
      costUsd: this.state.costUsd + spent.costUsd,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
    };
    return ev('budget.exceeded', data, nodeId);
  }

  childRuns(nodeId: NodeId, attempt: number, signal: AbortSignal): ChildRuns | undefined {
    return this.children.open(nodeId, attempt, signal);
  }

  /**
   * When every running node waits on blocked child runs and nothing else can start, the run stops
   * like a run waiting for an approval (or paused): the blocked nodes are marked waiting and their
   * tasks end without writing; resuming the run starts them again, and they follow the same children.
   */
  protected suspendIfBlocked(): void {
    if (this.stopped_ || this.cancelling || this.inflight.size === 0) return;
    const blockedNodes = this.children.blocked;
    for (const id of this.inflight.keys()) if (!blockedNodes.has(id)) return;
    if (this.ready.size > 0 && this.state.status === 'running' && this.inflight.size < this.concurrency) return;
    const waiting = [...blockedNodes].filter(([, b]) => b.some((c) => c.nodeIds.length > 0));
    for (const [id, blocked] of waiting) {
      const children = blocked.filter((c) => c.nodeIds.length > 0).map(({ paused: _, ...waits }) => waits);
      const attempt = this.state.nodes.get(id)!.attempt;
      this.commit([ev('node.waiting', { attempt, children }, asNodeId(id))]);
    }
    if (waiting.length === 0 && this.state.status === 'running') {
      const budget = [...blockedNodes.values()].some((b) => b.some((c) => c.paused === 'budget'));
      this.commit([ev('run.paused', { reason: budget ? 'budget' : 'user' })]);
    }
    const suspended = new NodeFailure('internal', 'suspended: its child runs wait');
    for (const id of [...blockedNodes.keys()]) this.inflight.get(id)?.abort(suspended);
    blockedNodes.clear();
  }

  /** A store or engine failure, or the run taken by another process: stop everything (the run stays resumable). */
  fail(err: unknown): void {
    if (this.stopped_ && !(err instanceof AppError)) return;
    this.halt(err);
    this.rejectDone(err);
  }

  /** Drives no more: its tasks are aborted (they write nothing more) and its background stops. */
  protected halt(err: unknown): void {
    this.stopped_ = true;
    for (const task of this.inflight.values()) task.abort(new NodeFailure('internal', 'engine stopped'));
    this.background.abort(err);
  }

  compensateChildren(nodeId: NodeId): Promise<{ failed: string[]; undone: number }> {
    return this.children.undo(nodeId);
  }

  cancelChildren(): Promise<void> {
    return this.children.cancelUnended();
  }
}
