/**
 * The engine: creates runs and drives them, and carries out a person's controls
 * (pause, resume, cancel, approve/reject, retry, resolve, rerun). Host-agnostic: it reaches
 * storage, time and runners only through the ports in EngineDeps.
 */
import { AppError } from '../errors.js';
import { ev, type NewEvent, type RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import { topology } from '../graph/topology.js';
import { validateRunInput } from '../graph/validate.js';
import type { ChildOf } from '../events.js';
import { asRunId, newRunId, type RunId } from '../ids.js';
import type { ChildEngine } from './child-engine.js';
import type { EngineDeps, EventListener, RunOutcome } from './context.js';
import { Drives, type DrivenHere } from './drives.js';
import { decide, resolveNode, retryNode, reusedEvents, type Decision } from './controls.js';
import type { DriveOptions } from './driver.js';
import { isTerminalRun } from './machines.js';
import { assertApprovable, assertResolvable, assertResumable, assertRetryable, nodeIn } from './preconditions.js';
import { foldEvents, type RunState } from './state.js';
import { childWaitingAt, type ChildAction } from './child-decisions.js';
import { controlOrDrive, resumeDrivenElsewhere, type Elsewhere, type Requested } from './controls-elsewhere.js';

export type { ChildAction };

export type { Decision };

const nodeOf = (graph: Graph, nodeId: string) => graph.nodes.find((n) => n.id === nodeId);

/** A child run's graph, its budget no larger than what its parent has left. */
function withinBudget(graph: Graph, parent: RunState): Graph {
  const { maxTokens, maxCostUsd } = parent.budget;
  if (maxTokens === undefined && maxCostUsd === undefined) return graph;
  const own = graph.budget ?? {};
  const left = (max: number | undefined, spent: number) => (max === undefined ? undefined : Math.max(0, max - spent));
  const tokens = left(maxTokens, parent.tokens);
  const cost = left(maxCostUsd, parent.costUsd);
  const budget = {
    ...own,
    ...(tokens !== undefined ? { maxTokens: Math.min(own.maxTokens ?? tokens, tokens) } : {}),
    ...(cost !== undefined ? { maxCostUsd: Math.min(own.maxCostUsd ?? cost, cost) } : {}),
  };
  return { ...graph, budget };
}

export class Engine {
  private readonly listeners = new Set<EventListener>();
  private readonly drives: Drives;

  /** What the controls of runs driven elsewhere need of this engine (controls-elsewhere.ts). */
  private readonly elsewhere: Elsewhere;

  constructor(readonly deps: EngineDeps) {
    this.elsewhere = { deps, inspect: (id) => this.inspect(id), drive: (id, opts) => this.drive(id, opts) };
    this.drives = new Drives(deps, this.publish, deps.childEngine ?? this.childEngine, (final, outcome) =>
      this.continueParent(final, outcome),
    );
  }

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
  async createRun(
    graph: Graph,
    input: unknown,
    opts: {
      graphHash: string;
      runId?: string;
      extra?: NewEvent[];
      rerunOf?: { runId: string; fromNodeId: string };
      /** Create the run only if no run holds this key (else KeyTakenError). */
      idempotencyKey?: { key: string; requestHash?: string };
      /** A child run: the run and node that start it. */
      parent?: ChildOf;
      /** Created leased to this engine where the store can (see held-leases.ts): driven here at once. */
      leased?: boolean;
    },
  ): Promise<RunId> {
    validateRunInput(graph, input);
    const runId = opts.runId ? asRunId(opts.runId) : newRunId(this.deps.clock.now(), this.deps.random);
    const created = ev('run.created', {
      graphId: graph.id,
      graphHash: opts.graphHash,
      input,
      ...(opts.rerunOf ? { rerunOf: opts.rerunOf } : {}),
      ...(opts.parent ? { parent: opts.parent } : {}),
    });
    const events = [created, ...(opts.extra ?? [])];
    const key = opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey };
    const run = { runId, graph, graphHash: opts.graphHash, events, ...key };
    const { store, owner } = this.deps;
    let committed: RunEvent[];
    if (opts.leased && store.createLeased) {
      const made = await store.createLeased(run, owner);
      this.drives.held.put(runId, { lease: made.lease, loaded: { graph, events: made.events } });
      committed = made.events;
    } else committed = await store.createRun(run);
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
    return this.drive(await this.createRun(graph, input, opts));
  }

  /** Drives a run in this process until it ends, waits or pauses. */
  async drive(runId: RunId, opts: DriveOptions = {}): Promise<RunOutcome> {
    return (await this.drives.drive(runId, opts, false)).outcome;
  }

  /** Resolves the next time a drive of `runId` in this engine settles. */
  settled(runId: RunId): Promise<void> {
    return this.drives.settled(runId);
  }

  /** Resolves once the drives being started here have their driver (or failed to start). */
  startsSettled(): Promise<void> {
    return this.drives.startsSettled();
  }

  /** The runs driven here now, each with its driver's pause and its drive's end (pause-all.ts). */
  drivenHere(): DrivenHere[] {
    return this.drives.drivenHere();
  }

  /**
   * A child run that ended while its parent waited for it (a person decided in the child): the
   * parent goes on here, and its outcome (or its parent's) is the answer.
   */
  private async continueParent(child: RunState, outcome: RunOutcome): Promise<RunOutcome> {
    const parent = child.parent;
    if (!parent || !isTerminalRun(child.status) || this.drives.has(parent.runId)) return outcome;
    const id = asRunId(parent.runId);
    // A parent this store does not hold (a child replayed alone) has nothing to continue.
    const state = await this.inspect(id).catch(() => undefined);
    if (state?.status !== 'waiting') return outcome;
    return this.drive(id);
  }

  /** What the child runs of a composition node need of this engine. */
  readonly childEngine: ChildEngine = {
    createChild: async (parent, childId, graph, input, nodeId, key) => {
      const snapshot = withinBudget(graph, parent.state);
      const graphHash = this.deps.hashGraph?.(snapshot) ?? '';
      try {
        await this.createRun(snapshot, input, {
          graphHash,
          runId: childId,
          parent: { runId: parent.runId, nodeId, key },
          leased: true,
        });
      } catch (err) {
        // Created before a crash of this process: the same child, go on with it.
        if (!(err instanceof AppError && err.code === 'conflict')) throw err;
      }
    },
    // The parent's signal is for children driven elsewhere (workers); a drive here has its own.
    drive: async (id, opts) => {
      const { signal: _parent, ...own } = opts ?? {};
      const { outcome, final } = await this.drives.drive(id, own, true);
      // The child's own outcome (not its parent's, continued here): its state where it ended.
      return outcome.runId === id && final ? { ...outcome, final } : outcome;
    },
    cancel: (id) => this.cancel(id),
    pause: (id) => this.pause(id),
    inspect: (id) => this.inspect(id),
    settled: (id) => this.settled(id),
  };

  /** Continues an interrupted, paused or budget-paused run (optionally raising its budget). */
  async resume(
    runId: RunId,
    opts: { budget?: { maxTokens?: number; maxCostUsd?: number } } & HandOff = {},
  ): Promise<RunOutcome> {
    const drive = () =>
      this.drive(runId, {
        resume: opts.budget ? { budget: opts.budget } : {},
        prepare: (run) => assertResumable(run.state),
        check: (state) => assertResumable(state),
        ...handOffOf(opts),
      });
    try {
      return await drive();
    } catch (err) {
      // A budget travels with a drive only: a run driven elsewhere is refused as before.
      if (!(err instanceof AppError && err.code === 'conflict') || opts.budget) throw err;
      return resumeDrivenElsewhere(this.elsewhere, runId, drive, err);
    }
  }

  /** Decides an approval: the run's own, or (not a node of the run) the one a waiting child run holds. */
  async approve(runId: RunId, nodeId: string, decision: Decision, opts: HandOff = {}): Promise<RunOutcome> {
    return this.orInChild(runId, nodeId, 'approve', (id) =>
      this.drive(id, {
        prepare: (run) => decide(run, nodeId, decision),
        check: (state, graph) => assertApprovable(state, nodeOf(graph, nodeId), nodeId),
        ...handOffOf(opts),
      }),
    );
  }

  /** The one child run (any depth) of `runId` that waits at `nodeId`, if one does (child-decisions.ts). */
  childWaitingAt(runId: RunId, nodeId: string, verb: ChildAction = 'approve'): Promise<RunId | undefined> {
    return childWaitingAt((id) => this.inspect(id), runId, nodeId, verb);
  }

  /** Retries a failed or in-doubt node (a failed run continues); one in doubt in a waiting child run, from its parent too. */
  async retry(runId: RunId, nodeId: string, opts: HandOff = {}): Promise<RunOutcome> {
    return this.orInChild(runId, nodeId, 'retry', (id) =>
      this.drive(id, {
        prepare: (run) => retryNode(run, nodeId),
        check: (state) => assertRetryable(state, nodeId),
        ...handOffOf(opts),
      }),
    );
  }

  /** Marks an in-doubt node done with an output a person gives (in a waiting child run, from its parent too). */
  async resolve(runId: RunId, nodeId: string, output: unknown, opts: HandOff = {}): Promise<RunOutcome> {
    return this.orInChild(runId, nodeId, 'resolve', (id) =>
      this.drive(id, {
        prepare: (run) => resolveNode(run, nodeId, output),
        check: (state) => assertResolvable(state, nodeId),
        ...handOffOf(opts),
      }),
    );
  }

  /** `act` on the run; on the one child run (any depth) that waits at `nodeId` when the run has no such node. */
  private async orInChild(
    runId: RunId,
    nodeId: string,
    verb: ChildAction,
    act: (runId: RunId) => Promise<RunOutcome>,
  ): Promise<RunOutcome> {
    try {
      return await act(runId);
    } catch (err) {
      const child =
        err instanceof AppError && err.code === 'not-found'
          ? await this.childWaitingAt(runId, nodeId, verb)
          : undefined;
      if (!child) throw err;
      return act(child);
    }
  }

  /** Pauses a run: here if this process drives it, else through the process that does. */
  async pause(runId: RunId): Promise<RunOutcome | Requested> {
    for (;;) {
      const d = await this.drives.live(runId);
      if (!d) return controlOrDrive(this.elsewhere, runId, 'pause', { pause: true });
      // Refused only by a driver that began to stop since: wait it out and look again.
      if (d.requestPause()) {
        await d.durable();
        return { runId, status: d.state.status };
      }
    }
  }

  /** Cancels a run: here if this process drives it, else through the process that does (`accepted`: as for HandOff). */
  async cancel(runId: RunId, opts: Pick<HandOff, 'accepted'> = {}): Promise<RunOutcome | Requested> {
    for (;;) {
      const d = await this.drives.live(runId);
      if (!d)
        return controlOrDrive(this.elsewhere, runId, 'cancel', {
          cancel: true,
          ...(opts.accepted ? { accepted: opts.accepted } : {}),
        });
      if (d.requestCancel()) {
        await d.durable();
        return { runId, status: d.state.status };
      }
    }
  }

  /**
   * A new run of the same graph snapshot and input that reuses every output not downstream of
   * `fromNodeId`, and also the recorded outputs of the downstream nodes named in `reuse`.
   */
  async rerun(runId: RunId, fromNodeId: string, opts: { reuse?: readonly string[] } = {}): Promise<{ runId: RunId }> {
    const { graph, events } = await this.deps.store.loadRun(runId);
    const state = foldEvents(runId, graph, events);
    nodeIn(state, fromNodeId);
    for (const id of opts.reuse ?? []) {
      if (id === fromNodeId)
        throw new AppError('usage', `rerun from ${fromNodeId} cannot also reuse its recorded output`);
      nodeIn(state, id);
    }
    const created = events[0];
    const graphHash = created?.type === 'run.created' ? created.data.graphHash : '';
    const extra = reusedEvents(topology(graph), state, fromNodeId, opts.reuse ?? []);
    const rerunOf = { runId, fromNodeId };
    return { runId: await this.createRun(graph, state.input, { graphHash, extra, rerunOf }) };
  }

  /** The run's state, folded from its log. */
  async inspect(runId: RunId): Promise<RunState> {
    const { graph, events } = await this.deps.store.loadRun(runId);
    return foldEvents(runId, graph, events);
  }
}

/** `handOff`: record a person's action and leave the run to another process (a worker). */
export interface HandOff {
  handOff?: boolean;
  /** Told once the action is taken (written), while the run may go on; a refusal rejects instead. */
  accepted?: () => void;
}

const handOffOf = (o: HandOff): Pick<DriveOptions, 'handOff' | 'accepted'> => ({
  ...(o.handOff ? { handOff: true } : {}),
  ...(o.accepted ? { accepted: o.accepted } : {}),
});
