/**
 * Drives one run: recovers what was in flight, starts ready nodes up to the run's concurrency,
 * and stops when the run ends, waits for a person or is paused. Every step is an event staged
 * in its CommitLog (written, fenced by the run's lease, before anyone observes it). It is the
 * RunContext its node tasks and compensations work through.
 */
import { AppError, NodeFailure } from '../errors.js';
import { ev } from '../events.js';
import type { Graph } from '../graph/schema.js';
import { asNodeId, type NodeId } from '../ids.js';
import { kindOf, sideEffectOf } from '../nodes/registry.js';
import type { ControlRequest } from '../ports.js';
import type { RunOutcome } from './context.js';
import { compensateAndEnd, runCompensations } from './compensate.js';
import { isTerminalRun } from './machines.js';
import { keepLease } from './lease-keeper.js';
import { outcomeOf, runEnd } from './run-end.js';
import { NodeTask } from './node-task.js';
import { VerifyTask } from './verify.js';
import { recoveryPlan } from './recovery.js';
import type { RunContext } from './run-context.js';
import type { RunState } from './state.js';
import { DriverBase } from './driver-base.js';

export interface DriveOptions {
  /** Commits a person's action (a decision, a retry) inside the driver, before it plans. */
  prepare?: (run: RunContext) => void;
  /**
   * `prepare`'s precondition, checked on the run as stored before its lease is taken (drives.ts):
   * an action refused there writes nothing at all, not even the lease.
   */
  check?: (state: RunState, graph: Graph) => void;
  /** Resume a paused run, optionally raising its budget. */
  resume?: { budget?: { maxTokens?: number; maxCostUsd?: number } };
  cancel?: boolean;
  /** Pause the run (a queued run is started, then paused). */
  pause?: boolean;
  /** A succeeded child run whose parent fails or is cancelled: run its compensations, nothing else. */
  compensate?: boolean;
  /**
   * Commit the action (a decision, a retry, a resume), then stop with the run left for another
   * process to drive (a worker on PostgreSQL). A run with nothing left to do ends here as usual.
   */
  handOff?: boolean;
  /**
   * Told once the action is taken: what `prepare` and the start committed is written (a refusal
   * rejects the drive instead). The drive itself goes on until the run stops.
   */
  accepted?: () => void;
}

/**
 * A reason made once for an abort nobody reads the reason of (a driver that ends): an abort
 * without one builds a DOMException with its stack each time, which a map's children paid for
 * every child (lease-keeper.ts has its own for its poll woken early).
 */
const ENDED: Error = Object.freeze(new Error('the run left this driver'));

/** Stops a node's retry backoff while its run is paused (not a cancel: nothing is written). */
const BACKOFF_PAUSED = new NodeFailure('internal', 'its run was paused during its backoff');

/** How long a drive's end waits for its lease keeper's last look at the controls (ms). */
const KEEPER_WAIT_MS = 2_000;

export const CANCELLED = (): NodeFailure => new NodeFailure('cancelled', 'the run was cancelled', { retryable: false });

export class RunDriver extends DriverBase {
  // ── Driving ─────────────────────────────────────────────────────────────────────────────

  /** Runs until the run ends, waits or pauses. */
  async run(opts: DriveOptions = {}): Promise<RunOutcome> {
    this.turns.arm();
    try {
      const handOff = this.start(opts);
      if (opts.accepted) this.durable().then(opts.accepted, () => undefined);
      if (handOff) this.stop({ status: 'running' });
      else this.pump();
    } catch (err) {
      this.fail(err);
    }
    // Beside the driving, until it stops: the lease renewed, the controls other processes leave taken.
    const keeper = keepLease(this.deps, this.runId, this.lease, this.background.signal, {
      pause: () => this.requestPause(),
      cancel: () => this.requestCancel(),
      resume: () => this.resumeLive() && (this.wake(), true),
      fail: (err) => this.fail(err),
    });
    const unwatch = this.deps.store.watchControls?.(this.runId, keeper.wake);
    try {
      return await this.done;
    } finally {
      unwatch?.();
      if (!this.background.signal.aborted) this.background.abort(ENDED);
      // A control taken as the driver stopped is the drive's to carry out (drives.ts); a store that
      // hangs does not hold the drive's end for long.
      let cancelWait = (): void => undefined;
      const late = new Promise<ControlRequest[]>(
        (r) => (cancelWait = this.deps.clock.timer(KEEPER_WAIT_MS, () => r([]))),
      );
      this.missedControls = await Promise.race([keeper.done, late]);
      cancelWait();
    }
  }

  /** Pause and cancel requests taken from the store as this driver stopped, not carried out by it. */
  missedControls: ControlRequest[] = [];

  /** Returns whether the run is left to another process (`handOff`: nothing is launched here). */
  private start(opts: DriveOptions): boolean {
    const s = this.state;
    // A run left `running` by a process that died (or with nodes cut off in flight) was
    // interrupted: record it first. One handed off cleanly (released, nothing in flight) was not;
    // a composition node still running (a paused map's) has its work in child runs of their own.
    if (s.status === 'running') {
      const inFlight = [...s.nodes].some(
        ([id, n]) =>
          (n.status === 'running' || n.status === 'retrying') && kindOf(this.nodes.get(id)!).execution !== 'children',
      );
      if (!this.lease.released || inFlight) this.commit([ev('run.interrupted', {}), ev('run.resumed', {})]);
    }
    opts.prepare?.(this);
    if (s.status === 'queued') this.commit([ev('run.started', {})]);
    else if (s.status === 'interrupted') this.commit([ev('run.resumed', {})]);
    else if (s.status === 'paused' && opts.resume) {
      this.commit([ev('run.resumed', opts.resume.budget ? { budget: opts.resume.budget } : {})]);
    }
    if (isTerminalRun(s.status)) {
      this.compensateOnly = opts.compensate === true && s.status === 'succeeded';
      return false;
    }
    if (opts.pause && (s.status === 'running' || s.status === 'waiting'))
      this.commit([ev('run.paused', { reason: 'user' })]);
    if (opts.cancel) {
      this.cancelling = true;
      return false;
    }
    // Handing off, what was in flight is not started here: the process that takes the run does it
    // (a paused map's node, a retry's timer, a running node after a crash).
    const leave = opts.handOff === true && (s.status === 'running' || s.status === 'waiting');
    const recovering = this.recoverInFlight(!leave);
    this.ready.countPending();
    for (const id of this.topo.order) this.ready.evaluate(asNodeId(id));
    if (s.status === 'waiting') {
      const open = [...s.nodes.values()].some((n) => n.status === 'waiting' || n.status === 'in-doubt');
      const going = leave ? recovering > 0 : this.inflight.size > 0;
      if (this.ready.size > 0 || going || !open) this.commit([ev('run.resumed', {})]);
    }
    return !this.stopped_ && leave && s.status === 'running' && (this.ready.size > 0 || recovering > 0);
  }

  /**
   * Nodes that were running when the process died, retrying, or following their child runs
   * (recovery.ts): launched again (`launch`), or only counted (a hand-off). Returns how many.
   */
  private recoverInFlight(launch: boolean): number {
    const plan = recoveryPlan(this.state, this.nodes, this.topo.order, this.deps);
    for (const step of plan.steps) {
      if (step.kind === 'enqueue') this.ready.enqueue(step.id);
      else if (!launch) continue;
      else if (step.kind === 'in-doubt') this.commit([ev('node.in-doubt', { attempt: step.attempt }, step.id)]);
      else this.launch(step.id, step.attempt, step.opts);
    }
    return plan.inFlight;
  }

  private pump(): void {
    if (this.stopped_) return;
    try {
      while (
        this.ready.size > 0 &&
        this.inflight.size < this.concurrency &&
        this.state.status === 'running' &&
        !this.cancelling
      ) {
        const id = this.ready.peek()!;
        if (kindOf(this.nodes.get(id)!).callsModel && this.budgetExceeded()) {
          this.commit([this.budgetEvent(id), ev('run.paused', { reason: 'budget' })]);
          break;
        }
        this.ready.take();
        this.launch(id, this.state.nodes.get(id)!.attempt + 1, {});
      }
      if (this.inflight.size === 0 && (this.ready.size === 0 || this.state.status !== 'running' || this.cancelling))
        this.finish();
    } catch (err) {
      this.fail(err);
    }
  }

  private launch(id: NodeId, attempt: number, opts: { resumed?: boolean; afterMs?: number; verify?: boolean }): void {
    const node = this.nodes.get(id)!;
    const task = opts.verify ? new VerifyTask(this, node, attempt) : new NodeTask(this, node, attempt, opts);
    this.inflight.set(id, task);
    const ended = () => {
      this.inflight.delete(id);
      this.children.ended(id);
    };
    task.start().then(
      () => {
        ended();
        this.turns.next(() => this.pump(), this.stopped_);
      },
      (err) => {
        ended();
        this.fail(err);
      },
    );
  }

  /** False when this driver is stopping (`winding`): the pause is not taken here. */
  requestPause(reason: 'user' | 'stopped' = 'user'): boolean {
    if (this.stopped_) return false;
    if (this.cancelling) return true;
    if (this.state.status === 'running' || this.state.status === 'waiting') this.commit([ev('run.paused', { reason })]);
    // Running nodes finish, but their child runs start nothing new either: they pause too. A node
    // waiting out a retry's backoff sends no new attempt while paused: it stops here, still
    // `retrying`, and the resume waits what is left of its backoff (nothing is written for it).
    this.children.pauseRunning();
    for (const [id, task] of this.inflight)
      if (this.state.nodes.get(id)!.status === 'retrying') task.abort(BACKOFF_PAUSED);
    this.pump();
    this.suspendIfBlocked();
    return true;
  }

  /**
   * What runs now, for a host's stop (pause-all.ts): `pure` nodes only, or nodes waiting out a
   * retry's backoff (stopping them loses nothing: a resume runs them again, or waits what is left
   * of the backoff), `children` (those, and nodes whose work is in child runs), or `other` (a node
   * with effects at work; or nothing, and the driver stops by itself at once).
   */
  get runningKind(): 'pure' | 'children' | 'other' {
    if (this.inflight.size === 0) return 'other';
    let kind: 'pure' | 'children' = 'pure';
    for (const [id, task] of this.inflight) {
      if (task instanceof VerifyTask) return 'other';
      const node = this.nodes.get(id)!;
      if (kindOf(node).execution === 'children') kind = 'children';
      // Waiting out its backoff: a resume waits what is left of it, then sends the next attempt.
      else if (this.state.nodes.get(id)!.status === 'retrying') continue;
      else if (sideEffectOf(node) !== 'pure') return 'other';
    }
    return kind;
  }

  /** A host's stop (pause-all.ts): nothing more is written; the run stays as last written, resumable. */
  abandon(): void {
    if (this.stopped_) return;
    const err = new AppError('internal', `run ${this.runId}: the host stopped while it ran; resume continues it`);
    // Its tasks stop now (a parent's first: its children's drives ending is then no news to it) ...
    this.halt(err);
    // ... and the drive ends once what is staged (its pause, say) is written, before its lease goes.
    const end = () => this.rejectDone(err);
    this.log.flush().then(end, end);
  }

  /** A resume while this driver still runs (paused with nodes in flight); false when it was not paused. */
  resumeLive(budget?: { maxTokens?: number; maxCostUsd?: number }): boolean {
    if (this.stopped_ || this.cancelling || this.state.status !== 'paused') return false;
    this.commit([ev('run.resumed', budget ? { budget } : {})]);
    return true;
  }

  /** False when this driver is stopping (`winding`): the cancel is not taken here. */
  requestCancel(): boolean {
    if (this.stopped_) return false;
    if (this.cancelling) return true;
    this.cancelling = true;
    for (const task of this.inflight.values()) task.abort(CANCELLED());
    this.pump();
    return true;
  }

  /** A person's action (a decision, a retry) was committed while this driver runs: look again. */
  wake(): void {
    try {
      this.ready.countPending();
      for (const nodeId of this.topo.order) {
        const id = asNodeId(nodeId);
        const n = this.state.nodes.get(id)!;
        if (n.status === 'queued') this.ready.enqueue(id);
        else if (n.status === 'idle') this.ready.evaluate(id);
        // Stopped in its backoff by a pause, and resumed while this driver runs: it goes on.
        else if (n.status === 'retrying' && !this.inflight.has(id) && this.state.status === 'running')
          this.launch(id, n.attempt + 1, { afterMs: Math.max(0, (n.retryAt ?? 0) - this.deps.clock.now()) });
      }
    } catch (err) {
      this.fail(err);
    }
    this.pump();
  }

  private finish(): void {
    if (this.stopped_) return;
    if (this.compensateOnly) return this.compensateSucceeded();
    const end = runEnd(this.state, this.graph, this.cancelling, this.deps.clock.now());
    this.commit(end.events);
    switch (end.kind) {
      case 'compensate':
        return this.compensateThenEnd(end.outcome, end.failedNode);
      case 'wait':
        return this.stop({ status: 'waiting', waitingFor: end.waitingFor });
      case 'pause': {
        const reason = this.state.pauseReason;
        return this.stop({ status: 'paused', ...(reason ? { pauseReason: reason } : {}) });
      }
      case 'stop':
        return this.stop(outcomeOf(this.state));
    }
  }

  private compensateThenEnd(kind: 'failed' | 'cancelled', failedNode?: string): void {
    this.stopped_ = true;
    compensateAndEnd(this, kind, failedNode).then(
      () => this.settle(outcomeOf(this.state)),
      (err) => this.rejectDone(err),
    );
  }

  /** A succeeded child run undone for its parent: its run status stays, its nodes record the undoing. */
  private compensateSucceeded(): void {
    this.stopped_ = true;
    runCompensations(this).then(
      (comp) => this.settle({ ...outcomeOf(this.state), ...comp }),
      (err) => this.rejectDone(err),
    );
  }

  private stop(outcome: Omit<RunOutcome, 'runId'>): void {
    this.stopped_ = true;
    this.settle({ runId: this.runId, ...outcome });
  }

  /** The outcome, once everything committed is written. */
  private settle(outcome: RunOutcome): void {
    this.log.flush().then(
      () => this.resolveDone(outcome),
      (err) => this.rejectDone(err),
    );
  }
}
