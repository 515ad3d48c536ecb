/**
 * The runs an engine drives in this process: one driver per run, taken under its lease (or the
 * lease its creation took: held-leases.ts), and what its controls and a host's stop need of them
 * (the live driver of a run, when a drive ends, every run driven now).
 */
import { AppError } from '../errors.js';
import type { RunEvent } from '../events.js';
import { asRunId, type RunId } from '../ids.js';
import type { ChildEngine } from './child-engine.js';
import type { ControlRequest } from '../ports.js';
import type { EngineDeps, RunOutcome } from './context.js';
import { RunDriver, type DriveOptions } from './driver.js';
import { HeldLeases } from './held-leases.js';
import { isTerminalRun } from './machines.js';
import { foldEvents, type RunState } from './state.js';

/** A run driven by an engine now: see Engine.drivenHere. */
export interface DrivenHere {
  runId: RunId;
  parent: string | undefined;
  /** Asks its driver to pause (reason `stopped`); false when it is stopping already (ended, waiting or paused). */
  pause(): boolean;
  /** What runs in it now: `pure` nodes only, `children` (pure nodes and child runs), or `other`. */
  running(): 'pure' | 'children' | 'other';
  /** Stops driving it at once, writing nothing more (it stays resumable). */
  abandon(): void;
  /** Settles when its drive here has ended. */
  ended: Promise<void>;
}

export class Drives {
  /** Drivers of the runs driven here, once created; `starting` while their lease is taken. */
  private readonly active = new Map<string, RunDriver>();
  private readonly starting = new Map<string, Promise<unknown>>();
  /** Settles when a run's driver here is gone (its lease released), for actions that wait it out. */
  private readonly exits = new Map<string, Promise<void>>();
  /** Leases taken with the children this engine created to drive at once. */
  readonly held: HeldLeases;

  constructor(
    private readonly deps: EngineDeps,
    private readonly publish: (events: RunEvent[]) => void,
    /** What the child runs of a composition node need of the engine. */
    private readonly children: ChildEngine,
    /** Called with each drive's end here (the engine continues a parent that waited for it). */
    private readonly after: (final: RunState, outcome: RunOutcome) => Promise<RunOutcome>,
  ) {
    this.held = new HeldLeases(deps.clock);
  }

  /** Whether a drive of `runId` is here, or being started here. */
  has(runId: string): boolean {
    return this.active.has(runId) || this.starting.has(runId);
  }

  /**
   * Drives a run here until it ends, waits or pauses, also giving the run's state where it ended
   * when this call drove it (`final`).
   * `releaseLater`: the lease's release is not awaited (a child run its parent follows here):
   * it joins the next write instead of taking a transaction of its own on the child's path.
   * Losing it to a crash costs nothing: a lease whose process died is free (dead pid, or expiry),
   * and a release that lands after a newer acquire changes nothing (it names the old epoch).
   */
  async drive(
    runId: RunId,
    opts: DriveOptions,
    releaseLater: boolean,
  ): Promise<{ outcome: RunOutcome; final?: RunState }> {
    // A person's action not driven here is checked first on the run as stored: refused, it takes
    // no lease, so it changes nothing (a run queued for the workers stays queued, with no owner and
    // its epoch). The check under the lease (prepare) stays: the run may move on meanwhile.
    if (opts.check && !this.has(runId)) {
      const stored = await this.deps.store.loadRun(runId);
      opts.check(foldEvents(runId, stored.graph, stored.events), stored.graph);
    }
    // One driver per run in a process: a drive asked while another is starting joins it, one
    // asked while another is stopping waits it out. Nothing is awaited between the last look and
    // `starting` set below, so two drives asked at once never both take the run.
    for (;;) {
      while (this.starting.has(runId)) await this.starting.get(runId)!.catch(() => undefined);
      const exit = this.active.get(runId)?.winding ? this.exits.get(runId) : undefined;
      if (!exit) break;
      await exit;
    }
    const running = this.active.get(runId);
    if (running) {
      // Already driven here: apply the action to the live driver.
      opts.prepare?.(running);
      const budget = opts.resume?.budget;
      if (opts.resume && !running.resumeLive(budget) && budget)
        // Resumed already (another request won): its budget stands; this one's is not applied silently.
        throw new AppError(
          'conflict',
          `run ${runId} is ${running.state.status}, not paused: it was resumed already, and its budget was not changed`,
        );
      if (opts.cancel) running.requestCancel();
      running.wake();
      // Acknowledged once durable: a crash after this answer keeps the action.
      await running.durable();
      opts.accepted?.();
      return { outcome: { runId, status: running.state.status } };
    }
    const { store, owner } = this.deps;
    const taking = (async () => {
      const held = this.held.take(runId);
      const lease = held?.lease ?? (await store.acquireLease(runId, owner));
      if (!lease) {
        throw new AppError(
          'conflict',
          `run ${runId} is being driven by another process; try again when it stops or waits`,
        );
      }
      // Loaded under the lease: what another process wrote before is all there is.
      try {
        // Created here under this lease: its log is what its creation committed.
        const loaded = held?.loaded ?? (await store.loadRun(runId));
        const driver = new RunDriver(this.deps, runId, loaded, lease, this.publish, this.children);
        this.active.set(runId, driver);
        return { driver, lease };
      } catch (err) {
        await store.releaseLease(runId, lease).catch(() => undefined);
        throw err;
      }
    })();
    this.starting.set(runId, taking);
    let taken: Awaited<typeof taking>;
    try {
      taken = await taking;
    } finally {
      this.starting.delete(runId);
    }
    let outcome: RunOutcome;
    let exited!: () => void;
    const exit = new Promise<void>((r) => (exited = r));
    this.exits.set(runId, exit);
    let release: Promise<void> | undefined;
    try {
      outcome = await taken.driver.run(opts);
    } finally {
      this.active.delete(runId);
      // A fenced driver's lease belongs to another process now: releasing it changes nothing.
      release = store.releaseLease(runId, taken.lease).catch(() => undefined);
      void release.then(() => {
        if (this.exits.get(runId) === exit) this.exits.delete(runId);
        exited();
      });
      if (!releaseLater) await release;
      this.notifySettled(runId);
      // A child's parent may wait for it in another process (its children driven by workers).
      if (taken.driver.state.parent) await store.announce?.(runId).catch(() => undefined);
    }
    const final = taken.driver.state;
    const controlled = await this.carryOut(runId, final, taken.driver.missedControls, release);
    return controlled ?? { outcome: await this.after(final, outcome), final };
  }

  /**
   * A pause or cancel another process asked for as this drive stopped (the run began to wait, or
   * paused): taken by the driver's keeper too late for it, or left after its last look. The drive
   * that stopped carries it out, so that a control answered `requested` is never lost. A run that
   * ended takes none (the store refuses them).
   */
  private async carryOut(
    runId: RunId,
    final: RunState,
    missed: readonly ControlRequest[],
    released: Promise<void>,
  ): Promise<{ outcome: RunOutcome; final?: RunState } | undefined> {
    if (isTerminalRun(final.status)) return undefined;
    // A resume is carried out by a live driver only; its requester drives the run itself once the lease is free.
    const pending = [...missed, ...(await this.deps.store.takeControls(runId).catch(() => []))].filter(
      (c) => c.kind !== 'resume',
    );
    const cancel = pending.some((c) => c.kind === 'cancel');
    if (!cancel && !(pending.length > 0 && final.status !== 'paused')) return undefined;
    await released;
    try {
      return await this.drive(runId, cancel ? { cancel: true } : { pause: true }, false);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err;
      // Another process took the run meanwhile: the control is left for it.
      await this.deps.store.requestControl(runId, cancel ? 'cancel' : 'pause').catch(() => undefined);
      return undefined;
    }
  }

  /**
   * The driver of a run here that still drives it. One that has stopped (the run just ended or
   * began to wait, its last writes going out) would drop an action: it is waited out, and the
   * action then takes the run as a new drive does.
   */
  async live(runId: RunId): Promise<RunDriver | undefined> {
    for (;;) {
      const exit = this.active.get(runId)?.winding ? this.exits.get(runId) : undefined;
      if (!exit) return this.active.get(runId);
      await exit;
    }
  }

  /** Resolves once the drives being started here have their driver (or failed to start). */
  async startsSettled(): Promise<void> {
    while (this.starting.size > 0) await Promise.allSettled([...this.starting.values()]);
  }

  /** The runs driven here now, each with its driver's pause and its drive's end (pause-all.ts). */
  drivenHere(): DrivenHere[] {
    return [...this.active].map(([runId, d]) => ({
      runId: asRunId(runId),
      parent: d.state.parent?.runId,
      pause: () => d.requestPause('stopped'),
      running: () => d.runningKind,
      abandon: () => d.abandon(),
      ended: this.exits.get(runId) ?? this.settled(asRunId(runId)),
    }));
  }

  /** Resolves the next time a drive of `runId` in this engine settles. */
  settled(runId: RunId): Promise<void> {
    return new Promise((resolve) => {
      const list = this.settledWaiters.get(runId) ?? [];
      list.push(resolve);
      this.settledWaiters.set(runId, list);
    });
  }

  private notifySettled(runId: string): void {
    const list = this.settledWaiters.get(runId);
    this.settledWaiters.delete(runId);
    for (const fn of list ?? []) fn();
  }

  private readonly settledWaiters = new Map<string, (() => void)[]>();
}
