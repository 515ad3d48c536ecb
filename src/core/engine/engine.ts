/**
 * The engine: creates runs and drives them, and carries out a person's controls
 * (pause, resume, cancel, approve/reject, retry, resolve, rerun). Host-agnostic: it reaches
 * storage, time and runners only through the ports in EngineDeps.
 */
import { AppError } from '../errors.js';
import { ev, type NewEvent, type RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import { validateRunInput } from '../graph/validate.js';
import { asRunId, newRunId, type NodeId, type RunId } from '../ids.js';
import type { EngineDeps, EventListener, RunOutcome } from './context.js';
import { RunDriver, type DriveOptions } from './driver.js';
import { assertApprovable, assertResolvable, assertResumable, assertRetryable, nodeIn } from './preconditions.js';
import { isTerminalRun } from './machines.js';
import { foldEvents, type RunState } from './state.js';

export interface Decision {
  approved: boolean;
  by?: string;
  comment?: string;
  data?: unknown;
}

export class Engine {
  private readonly active = new Map<string, RunDriver>();
  private readonly listeners = new Set<EventListener>();

  constructor(readonly deps: EngineDeps) {}

  /** Committed events of every run this engine drives, in commit order. */
  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private publish = (events: RunEvent[]): void => {
    for (const fn of this.listeners) {
      try {
        fn(events);
      } catch (err) {
        this.deps.onHookError?.('subscriber', err);
      }
    }
  };

  /** Validates the input and stores the run with its graph snapshot. Nothing executes yet. */
  createRun(
    graph: Graph,
    input: unknown,
    opts: { graphHash: string; runId?: string; extra?: NewEvent[]; rerunOf?: { runId: string; fromNodeId: string } },
  ): RunId {
    validateRunInput(graph, input);
    const runId = opts.runId ? asRunId(opts.runId) : newRunId(this.deps.clock.now(), this.deps.random);
    const created = ev('run.created', {
      graphId: graph.id,
      graphHash: opts.graphHash,
      input,
      ...(opts.rerunOf ? { rerunOf: opts.rerunOf } : {}),
    });
    const committed = this.deps.store.createRun({
      runId,
      graph,
      graphHash: opts.graphHash,
      events: [created, ...(opts.extra ?? [])],
    });
    this.publish(committed);
    if (this.deps.hooks?.onInit) {
      try {
        void this.deps.hooks.onInit({ runId, graphId: graph.id, event: committed[0]!, status: 'queued' });
      } catch (err) {
        this.deps.onHookError?.('onInit', err);
      }
    }
    return runId;
  }

  async start(graph: Graph, input: unknown, opts: { graphHash: string; runId?: string }): Promise<RunOutcome> {
    return this.drive(this.createRun(graph, input, opts));
  }

  /** Drives a run in this process until it ends, waits or pauses. */
  async drive(runId: RunId, opts: DriveOptions = {}): Promise<RunOutcome> {
    const running = this.active.get(runId);
    if (running) {
      // Already driven here: apply the action to the live driver.
      running.batch(() => opts.prepare?.(running));
      if (opts.resume) running.resumeLive(opts.resume.budget);
      if (opts.cancel) running.requestCancel();
      running.wake();
      return { runId, status: running.state.status };
    }
    const store = this.deps.store;
    const loaded = store.loadRun(runId);
    if (!store.acquireLease(runId, this.deps.owner)) {
      throw new AppError(
        'conflict',
        `run ${runId} is being driven by another process; try again when it stops or waits`,
      );
    }
    const driver = new RunDriver(this.deps, runId, loaded, this.publish);
    this.active.set(runId, driver);
    try {
      return await driver.run(opts);
    } finally {
      this.active.delete(runId);
      store.releaseLease(runId, this.deps.owner);
    }
  }

  /** Continues an interrupted, paused or budget-paused run (optionally raising its budget). */
  async resume(runId: RunId, opts: { budget?: { maxTokens?: number; maxCostUsd?: number } } = {}): Promise<RunOutcome> {
    return this.drive(runId, {
      resume: opts.budget ? { budget: opts.budget } : {},
      prepare: (d) => assertResumable(d.state),
    });
  }

  async approve(runId: RunId, nodeId: string, decision: Decision): Promise<RunOutcome> {
    return this.drive(runId, {
      prepare: (d) => {
        const n = assertApprovable(d.state, d.nodes.get(nodeId), nodeId);
        const { approved, ...rest } = decision;
        const output = { approved, ...rest };
        const started = n.attempts.at(-1)?.startedAt ?? d.deps.clock.now();
        const durationMs = Math.max(0, d.deps.clock.now() - started);
        const id = nodeId as NodeId;
        const hasNoBranch = (d.topo.outgoing.get(nodeId) ?? []).some((e) => e.when === false);
        if (approved)
          d.commit([
            ev('approval.granted', rest, id),
            ev('node.succeeded', { attempt: n.attempt, durationMs, output }, id),
          ]);
        else if (hasNoBranch)
          d.commit([
            ev('approval.rejected', rest, id),
            ev('node.succeeded', { attempt: n.attempt, durationMs, output }, id),
          ]);
        else {
          const message = `approval ${nodeId} was rejected${decision.comment ? `: ${decision.comment}` : ''}`;
          d.commit([
            ev('approval.rejected', rest, id),
            ev(
              'node.failed',
              { attempt: n.attempt, durationMs, error: { kind: 'rejected', message, retryable: false } },
              id,
            ),
          ]);
        }
        d.afterFinish(nodeId);
      },
    });
  }

  /** Retries a failed or in-doubt node (a failed run continues). */
  async retry(runId: RunId, nodeId: string): Promise<RunOutcome> {
    return this.drive(runId, {
      prepare: (d) => {
        const n = assertRetryable(d.state, nodeId);
        const events: NewEvent[] = [];
        if (d.state.status === 'failed') events.push(ev('run.retried', { nodeId }));
        events.push(ev('node.requeued', { attempt: n.attempt }, nodeId as NodeId));
        for (const id of d.topo.descendants(nodeId)) {
          const x = d.state.nodes.get(id)!;
          if (x.status === 'skipped' && x.skipSource)
            events.push(ev('node.reset', { reason: `retry of ${nodeId}` }, id as NodeId));
        }
        d.commit(events);
      },
    });
  }

  /** Marks an in-doubt node done with an output a person gives. */
  async resolve(runId: RunId, nodeId: string, output: unknown): Promise<RunOutcome> {
    return this.drive(runId, {
      prepare: (d) => {
        const n = assertResolvable(d.state, nodeId);
        d.commit([
          ev('node.succeeded', { attempt: n.attempt, durationMs: 0, output, resolved: true }, nodeId as NodeId),
        ]);
        d.afterFinish(nodeId);
      },
    });
  }

  /** Pauses a run: here if this process drives it, else through the process that does. */
  async pause(runId: RunId): Promise<RunOutcome | { runId: string; status: 'requested' }> {
    const d = this.active.get(runId);
    if (d) {
      d.requestPause();
      return { runId, status: d.state.status };
    }
    return this.controlOrDrive(runId, 'pause', { prepare: (x) => x.requestPause() });
  }

  async cancel(runId: RunId): Promise<RunOutcome | { runId: string; status: 'requested' }> {
    const d = this.active.get(runId);
    if (d) {
      d.requestCancel();
      return { runId, status: d.state.status };
    }
    return this.controlOrDrive(runId, 'cancel', { cancel: true });
  }

  private async controlOrDrive(runId: RunId, kind: 'pause' | 'cancel', opts: DriveOptions) {
    const state = this.inspect(runId);
    if (isTerminalRun(state.status)) {
      throw new AppError(
        'illegal-transition',
        `run ${runId} is ${state.status} and cannot be ${kind === 'pause' ? 'paused' : 'cancelled'}`,
      );
    }
    if (kind === 'pause' && state.status === 'paused') return { runId, status: 'paused' as const };
    if (!this.deps.store.acquireLease(runId, this.deps.owner)) {
      this.deps.store.requestControl(runId, kind);
      return { runId, status: 'requested' as const };
    }
    this.deps.store.releaseLease(runId, this.deps.owner);
    return this.drive(runId, opts);
  }

  /**
   * A new run of the same graph snapshot and input that reuses every output not downstream of
   * `fromNodeId`, and also the recorded outputs of the downstream nodes named in `reuse`.
   */
  rerun(runId: RunId, fromNodeId: string, opts: { reuse?: readonly string[] } = {}): { runId: RunId } {
    const { graph, events } = this.deps.store.loadRun(runId);
    const state = foldEvents(runId, graph, events);
    nodeIn(state, fromNodeId);
    for (const id of opts.reuse ?? []) {
      if (id === fromNodeId)
        throw new AppError('usage', `rerun from ${fromNodeId} cannot also reuse its recorded output`);
      nodeIn(state, id);
    }
    const created = events[0];
    const graphHash = created?.type === 'run.created' ? created.data.graphHash : '';
    const driver = new RunDriver(this.deps, runId, { graph, events }, () => undefined);
    const redo = new Set([fromNodeId, ...driver.topo.descendants(fromNodeId)]);
    for (const id of opts.reuse ?? []) if (state.nodes.get(id)!.status === 'succeeded') redo.delete(id);
    const extra: NewEvent[] = [];
    for (const id of driver.topo.order) {
      if (redo.has(id)) continue;
      const n = state.nodes.get(id)!;
      if (n.status === 'succeeded')
        extra.push(
          ev('node.succeeded', { attempt: 0, durationMs: 0, output: n.output, reusedFrom: runId }, id as NodeId),
        );
      else if (n.status === 'skipped' && !n.skipSource)
        extra.push(ev('node.skipped', { reason: n.skipReason ?? 'branch not taken' }, id as NodeId));
    }
    return { runId: this.createRun(graph, state.input, { graphHash, extra, rerunOf: { runId, fromNodeId } }) };
  }

  /** The run's state, folded from its log. */
  inspect(runId: RunId): RunState {
    const { graph, events } = this.deps.store.loadRun(runId);
    return foldEvents(runId, graph, events);
  }
}
