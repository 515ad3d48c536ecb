/**
 * Drives one run: recovers what was in flight, starts ready nodes up to the run's
 * concurrency, and stops when the run ends, waits for a person or is paused.
 * Every step is an event committed before anything else happens.
 */
import { AppError, NodeFailure, toNodeError } from '../errors.js';
import { ev, type NewEvent, type RunEvent } from '../events.js';
import { type Graph, type GraphNode, DEFAULT_CONCURRENCY, defaultSideEffect } from '../graph/schema.js';
import { topology, type Topology } from '../graph/topology.js';
import type { RunId } from '../ids.js';
import { Stage } from './commit.js';
import type { EngineDeps, RunOutcome } from './context.js';
import { runCompensations } from './compensate.js';
import { isFinishedNode } from './machines.js';
import { readiness } from './plan.js';
import { foldEvents, type RunState } from './state.js';
import { NodeTask } from './node-task.js';
import { VerifyTask, canVerify } from './verify.js';
import { callHooks } from './hooks.js';

export interface DriveOptions {
  /** Commits a person's action (a decision, a retry) inside the driver, before it plans. */
  prepare?: (driver: RunDriver) => void;
  /** Resume a paused run, optionally raising its budget. */
  resume?: { budget?: { maxTokens?: number; maxCostUsd?: number } };
  cancel?: boolean;
}

/** A driver busy with pure nodes gives the host's event loop a turn at least this often (ms). */
const TURN_MS = 10;

export const CANCELLED = (): NodeFailure => new NodeFailure('cancelled', 'the run was cancelled', { retryable: false });

export class RunDriver {
  readonly state: RunState;
  readonly graph: Graph;
  readonly topo: Topology;
  readonly nodes: Map<string, GraphNode>;
  /** `{ <id>: { output } }` of every succeeded node: the template scope. */
  readonly outputs: Record<string, { output: unknown }> = {};
  readonly inflight = new Map<string, NodeTask | VerifyTask>();
  private ready: string[] = [];
  private readonly readySet = new Set<string>();
  private cancelling = false;
  private stopped = false;
  private readonly done: Promise<RunOutcome>;
  private resolveDone!: (o: RunOutcome) => void;
  private rejectDone!: (e: unknown) => void;
  private readonly background = new AbortController();
  private readonly stage: Stage;
  private batching = 0;
  private turnDue = 0;
  private turning = false;

  constructor(
    readonly deps: EngineDeps,
    readonly runId: RunId,
    loaded: { graph: Graph; events: RunEvent[] },
    private readonly publishOut: (events: RunEvent[]) => void,
  ) {
    this.graph = loaded.graph;
    this.topo = topology(loaded.graph);
    this.nodes = new Map(loaded.graph.nodes.map((n) => [n.id, n]));
    this.state = foldEvents(runId, loaded.graph, loaded.events);
    this.stage = new Stage(deps.store, this.state, () => deps.clock.now());
    for (const [id, n] of this.state.nodes) if (n.status === 'succeeded') this.outputs[id] = { output: n.output };
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
  }

  get concurrency(): number {
    return this.graph.concurrency ?? DEFAULT_CONCURRENCY;
  }

  get isCancelling(): boolean {
    return this.cancelling;
  }

  /**
   * Commits events: checked against the machines, applied, and written to the store in one
   * transaction — at once, or at the end of the enclosing `batch()`.
   */
  commit(events: NewEvent[]): void {
    if (events.length === 0) return;
    this.stage.add(events);
    for (const e of events)
      if (e.type === 'node.succeeded' && e.nodeId) this.outputs[e.nodeId] = { output: e.data.output };
    if (this.batching === 0) this.flush();
  }

  /**
   * Runs `fn` and commits everything it commits in one transaction. `group`: the end of a pure
   * in-process node, which may wait in the stage for the commits of the other in-process nodes
   * running now (group commit): the stage is flushed as soon as none runs, before any runner
   * with an effect starts (its start commit flushes what is staged, in order) and before any
   * subscriber sees the events. A crash before that flush only re-runs pure nodes.
   */
  batch(fn: () => void, group = false): void {
    this.batching++;
    try {
      fn();
    } finally {
      this.batching--;
    }
    if (this.batching === 0 && !(group && this.stage.size < GROUP_MAX_EVENTS)) this.flush();
  }

  /** Pure in-process tasks running now (their commits are grouped, see batch()). */
  private grouping = 0;

  /** A grouped task stops grouping (it is about to wait): what it staged must not wait for it. */
  ungroup(task: NodeTask): void {
    if (!task.grouped) return;
    task.grouped = false;
    this.grouping--;
    if (this.grouping === 0) this.flush();
  }

  private flush(): void {
    const committed = this.stage.flush();
    if (committed.length === 0) return;
    this.publishOut(committed);
    if (this.deps.hooks) callHooks(this.deps, this.state, committed);
  }

  /** Runs until the run ends, waits or pauses. */
  async run(opts: DriveOptions = {}): Promise<RunOutcome> {
    this.turnDue = this.deps.clock.now() + TURN_MS;
    try {
      this.batch(() => this.start(opts));
      this.pump();
    } catch (err) {
      this.fail(err);
    }
    void this.pollControls();
    try {
      return await this.done;
    } finally {
      this.background.abort();
    }
  }

  private start(opts: DriveOptions): void {
    const s = this.state;
    // A run left `running` means the process that drove it died: record it first.
    if (s.status === 'running') this.commit([ev('run.interrupted', {}), ev('run.resumed', {})]);
    opts.prepare?.(this);
    if (s.status === 'queued') this.commit([ev('run.started', {})]);
    else if (s.status === 'interrupted') this.commit([ev('run.resumed', {})]);
    else if (s.status === 'paused' && opts.resume) {
      this.commit([ev('run.resumed', opts.resume.budget ? { budget: opts.resume.budget } : {})]);
    }
    if (isTerminal(s.status)) return;
    if (opts.cancel) {
      this.cancelling = true;
      return;
    }
    this.recoverInFlight();
    this.countPending();
    for (const id of this.topo.order) this.evaluate(id);
    if (s.status === 'waiting') {
      const open = [...s.nodes.values()].some((n) => n.status === 'waiting' || n.status === 'in-doubt');
      if (this.ready.length > 0 || this.inflight.size > 0 || !open) this.commit([ev('run.resumed', {})]);
    }
  }

  /** Nodes that were running when the process died (runtime.md "Durability"). */
  private recoverInFlight(): void {
    for (const id of this.topo.order) {
      const n = this.state.nodes.get(id)!;
      const node = this.nodes.get(id)!;
      if (n.status === 'queued') this.enqueue(id);
      if (n.status === 'retrying')
        this.launch(id, n.attempt + 1, { afterMs: Math.max(0, (n.retryAt ?? 0) - this.deps.clock.now()) });
      if (n.status !== 'running') continue;
      const intrinsic = node.type === 'delay' || node.type === 'approval';
      // A polled node whose submit is recorded only polls from here on: safe to continue.
      if (!intrinsic && defaultSideEffect(node) === 'unsafe' && !n.poll) {
        // One that can check its own effect (verify) asks first; the others wait for a person.
        if (canVerify(node, this.deps.services)) this.launch(id, n.attempt, { verify: true });
        else this.commit([ev('node.in-doubt', { attempt: n.attempt }, id as never)]);
      } else {
        this.launch(id, n.attempt, { resumed: true });
      }
    }
  }

  private enqueue(id: string): void {
    if (this.readySet.has(id) || this.inflight.has(id)) return;
    this.readySet.add(id);
    this.ready.push(id);
  }

  /** Looks at an idle node: queue it, skip it (and cascade), or leave it waiting. */
  evaluate(id: string): void {
    const n = this.state.nodes.get(id)!;
    if (n.status !== 'idle') return;
    const r = readiness(id, this.topo, this.nodes, this.state);
    if (r.kind === 'wait') return;
    if (r.kind === 'ready') {
      if (this.cancelling) return;
      this.commit([ev('node.queued', {}, id as never)]);
      this.enqueue(id);
      return;
    }
    this.commit([
      ev('node.skipped', r.source ? { reason: r.reason, source: r.source } : { reason: r.reason }, id as never),
    ]);
    this.afterFinish(id);
  }

  /** How many incoming edges of each node still wait for their source to finish. */
  private pending = new Map<string, number>();

  private countPending(): void {
    this.pending.clear();
    for (const id of this.topo.order) {
      let n = 0;
      for (const e of this.topo.incoming.get(id) ?? [])
        if (!isFinishedNode(this.state.nodes.get(e.source)!.status)) n++;
      this.pending.set(id, n);
    }
  }

  /**
   * Called when a node reached a final state: its children may now be ready or skipped. A child
   * is looked at only when its last source finishes (or a source fails), so a wide fan-in costs
   * O(edges) for the whole run, not O(edges) per finished source.
   */
  afterFinish(id: string): void {
    const n = this.state.nodes.get(id)!;
    const failed =
      n.status === 'failed' || n.status === 'cancelled' || (n.status === 'skipped' && n.skipSource !== undefined);
    for (const e of this.topo.outgoing.get(id) ?? []) {
      const left = (this.pending.get(e.target) ?? 1) - 1;
      this.pending.set(e.target, left);
      if (left <= 0 || failed) this.evaluate(e.target);
    }
  }

  /** The run's budget is spent (counting `spent`, a running node's uncommitted usage). */
  budgetExceeded(spent = { tokens: 0, costUsd: 0 }): boolean {
    const { maxTokens, maxCostUsd } = this.state.budget;
    return (
      (maxTokens !== undefined && this.state.tokens + spent.tokens >= maxTokens) ||
      (maxCostUsd !== undefined && this.state.costUsd + spent.costUsd >= maxCostUsd)
    );
  }

  /** `budget.exceeded` as the run pauses for its budget. */
  budgetEvent(nodeId: string, spent = { tokens: 0, costUsd: 0 }): NewEvent {
    const { maxTokens, maxCostUsd } = this.state.budget;
    const data = {
      tokens: this.state.tokens + spent.tokens,
      costUsd: this.state.costUsd + spent.costUsd,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
    };
    return ev('budget.exceeded', data, nodeId as never);
  }

  pump(): void {
    if (this.stopped) return;
    try {
      while (
        this.ready.length > 0 &&
        this.inflight.size < this.concurrency &&
        this.state.status === 'running' &&
        !this.cancelling
      ) {
        const id = this.ready[0]!;
        const node = this.nodes.get(id)!;
        if ((node.type === 'llm' || node.type === 'agent') && this.budgetExceeded()) {
          this.commit([this.budgetEvent(id), ev('run.paused', { reason: 'budget' })]);
          break;
        }
        this.ready.shift();
        this.readySet.delete(id);
        this.launch(id, this.state.nodes.get(id)!.attempt + 1, {});
      }
      if (this.grouping === 0) this.flush();
      if (this.inflight.size === 0 && (this.ready.length === 0 || this.state.status !== 'running' || this.cancelling))
        this.finish();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Pumps now, or after the host had a turn when this driver has held it for TURN_MS. */
  private next(): void {
    const { clock } = this.deps;
    if (!clock.turn || this.stopped) return this.pump();
    if (this.turning) return;
    if (clock.now() < this.turnDue) return this.pump();
    this.turning = true;
    try {
      // What finished so far is committed and published before the host gets its turn.
      if (this.grouping === 0) this.flush();
    } catch (err) {
      this.fail(err);
    }
    void clock.turn().then(() => {
      this.turning = false;
      this.turnDue = clock.now() + TURN_MS;
      this.pump();
    });
  }

  private launch(id: string, attempt: number, opts: { resumed?: boolean; afterMs?: number; verify?: boolean }): void {
    const node = this.nodes.get(id)!;
    const task = opts.verify ? new VerifyTask(this, node, attempt) : new NodeTask(this, node, attempt, opts);
    this.inflight.set(id, task);
    if (task.grouped) this.grouping++;
    const done = () => {
      this.inflight.delete(id);
      if (task.grouped) this.grouping--;
    };
    task.run().then(
      () => {
        done();
        this.next();
      },
      (err) => {
        done();
        this.fail(err);
      },
    );
  }

  requestPause(): void {
    if (this.stopped || this.cancelling) return;
    if (this.state.status === 'running' || this.state.status === 'waiting')
      this.commit([ev('run.paused', { reason: 'user' })]);
    this.pump();
  }

  /** A resume while this driver still runs (paused with nodes in flight): the run goes on here. */
  resumeLive(budget?: { maxTokens?: number; maxCostUsd?: number }): void {
    if (this.stopped || this.cancelling || this.state.status !== 'paused') return;
    this.commit([ev('run.resumed', budget ? { budget } : {})]);
  }

  requestCancel(): void {
    if (this.stopped || this.cancelling) return;
    this.cancelling = true;
    for (const task of this.inflight.values()) task.abort(CANCELLED());
    this.pump();
  }

  /** A person's action (a decision, a retry) was committed while this driver runs: look again. */
  wake(): void {
    try {
      this.countPending();
      this.batch(() => {
        for (const id of this.topo.order) {
          const n = this.state.nodes.get(id)!;
          if (n.status === 'queued') this.enqueue(id);
          else if (n.status === 'idle') this.evaluate(id);
        }
      });
    } catch (err) {
      this.fail(err);
    }
    this.pump();
  }

  private finish(): void {
    if (this.stopped) return;
    const s = this.state;
    const open: string[] = [];
    let failed: string | undefined;
    for (const [id, n] of s.nodes) {
      if (n.status === 'waiting' || n.status === 'in-doubt') open.push(id);
      if (n.status === 'failed' && failed === undefined) failed = id;
    }
    if (this.cancelling && !isTerminal(s.status)) {
      const events: NewEvent[] = [];
      for (const [id, n] of s.nodes) if (!isFinishedNode(n.status)) events.push(ev('node.cancelled', {}, id as never));
      this.commit(events);
      return this.compensateThenEnd('cancelled');
    }
    if (!isTerminal(s.status) && failed === undefined && s.status !== 'paused' && open.length > 0) {
      if (s.status !== 'waiting') this.commit([ev('run.waiting', { nodeIds: open })]);
      return this.stop({ status: 'waiting', waitingFor: open });
    }
    if (s.status === 'paused')
      return this.stop({ status: 'paused', ...(s.pauseReason ? { pauseReason: s.pauseReason } : {}) });
    if (s.status === 'running' && failed === undefined && [...s.nodes.values()].some((n) => n.status === 'cancelled')) {
      // A node was cancelled without a cancel of the run (a defect, not a success): end the run cancelled.
      return this.compensateThenEnd('cancelled');
    }
    if (s.status === 'running' && failed !== undefined) {
      const waiting: NewEvent[] = [];
      for (const [id, n] of s.nodes)
        if (n.status === 'waiting' || n.status === 'in-doubt') waiting.push(ev('node.cancelled', {}, id as never));
      this.commit(waiting);
      // A failure fails the run (runtime.md), even when it closes an approval another branch had open.
      return this.compensateThenEnd('failed', failed);
    }
    if (s.status === 'running') {
      const result: Record<string, unknown> = {};
      for (const node of this.graph.nodes) {
        const n = s.nodes.get(node.id)!;
        if (node.type === 'output' && n.status === 'succeeded') result[node.id] = n.output;
      }
      const started = s.startedAt ? Date.parse(s.startedAt) : this.deps.clock.now();
      this.commit([ev('run.succeeded', { result, durationMs: Math.max(0, this.deps.clock.now() - started) })]);
    }
    this.stop(outcomeOf(this.state));
  }

  private compensateThenEnd(kind: 'failed' | 'cancelled', failedNode?: string): void {
    this.stopped = true;
    runCompensations(this).then(
      (comp) => {
        if (kind === 'cancelled') this.commit([ev('run.cancelled', comp)]);
        else {
          const error = this.state.nodes.get(failedNode!)!.error ?? {
            kind: 'internal' as const,
            message: 'failed',
            retryable: false,
          };
          this.commit([
            ev('run.failed', {
              error: { kind: error.kind, message: error.message, retryable: error.retryable },
              nodeId: failedNode!,
              ...comp,
            }),
          ]);
        }
        this.resolveDone(outcomeOf(this.state));
      },
      (err) => this.rejectDone(err),
    );
  }

  private stop(outcome: Omit<RunOutcome, 'runId'>): void {
    this.stopped = true;
    this.resolveDone({ runId: this.runId, ...outcome });
  }

  /** A store or engine failure: stop everything and report it (the run stays resumable). */
  fail(err: unknown): void {
    if (this.stopped && !(err instanceof AppError)) return;
    this.stopped = true;
    for (const task of this.inflight.values()) task.abort(new NodeFailure('internal', 'engine stopped'));
    this.rejectDone(err);
  }

  private async pollControls(): Promise<void> {
    const every = this.deps.controlPollMs ?? 200;
    const signal = this.background.signal;
    let lastRenew = this.deps.clock.now();
    while (!signal.aborted) {
      try {
        await this.deps.clock.sleep(every, signal);
        // The lease lasts 30 s: renewing every few seconds is plenty (and spares the write lock).
        if (this.deps.clock.now() - lastRenew >= 5_000) {
          this.deps.store.renewLease(this.runId, this.deps.owner);
          lastRenew = this.deps.clock.now();
        }
        for (const c of this.deps.store.takeControls(this.runId)) {
          if (c.kind === 'pause') this.requestPause();
          else if (c.kind === 'cancel') this.requestCancel();
        }
      } catch {
        return;
      }
    }
  }
}

/** A group commit holds at most this many events. */
const GROUP_MAX_EVENTS = 512;

const isTerminal = (s: RunState['status']): boolean => s === 'succeeded' || s === 'failed' || s === 'cancelled';

export function outcomeOf(s: RunState): RunOutcome {
  const out: RunOutcome = { runId: s.runId, status: s.status };
  if (s.status === 'succeeded') out.result = s.result;
  if (s.error)
    out.error = { kind: s.error.kind, message: s.error.message, ...(s.failedNodeId ? { nodeId: s.failedNodeId } : {}) };
  if (s.pauseReason && s.status === 'paused') out.pauseReason = s.pauseReason;
  if (s.compensated !== undefined) out.compensated = s.compensated;
  if (s.status === 'waiting')
    out.waitingFor = [...s.nodes]
      .filter(([, n]) => n.status === 'waiting' || n.status === 'in-doubt')
      .map(([id]) => id);
  return out;
}

export { toNodeError };
