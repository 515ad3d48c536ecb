/**
 * Child runs on workers (docs/scale-out.md "Child runs on workers"): a worker
 * driving a map, subgraph or loop node queues each child as a run of its own, so every worker on
 * the database drives the items of a map in parallel. The parent waits for a child without
 * holding a worker slot: it wakes on the NOTIFY a child's drive sends when it settles
 * (store.announce), with a slow look at the child's row as a net for a notification lost with a
 * killed worker. Everything durable stays as in-process children: the parent commits the child's
 * id before it exists, records how it ended, and a taken-over parent finds its children again.
 */
import { AppError } from '../../core/errors.js';
import type { ChildDrive, ChildEngine } from '../../core/engine/child-engine.js';
import type { Engine } from '../../core/engine/engine.js';
import { outcomeOf } from '../../core/engine/run-end.js';
import type { RunOutcome } from '../../core/engine/outcome.js';
import type { RunId } from '../../core/ids.js';
import type { Store } from '../store/store.js';

/** How often a waiting parent looks at its child's row when no notification came (ms). */
const LOOK_MS = 2_000;
/** The same for a child that waits for a person (the follow loop looks again every few seconds itself). */
const BLOCKED_LOOK_MS = 30_000;

/** Statuses a worker moves on by itself: the parent waits for them to change. */
const moving = new Set(['queued', 'running', 'interrupted']);

export class DispatchedChildren {
  /** Per parent run: how many of its children it waits for now. */
  private readonly waitingParents = new Map<string, number>();
  private readonly changed = new Set<() => void>();

  constructor(
    private readonly engine: () => Engine,
    private readonly store: Store,
    /** Queues a run for the workers (the queue and priority of its parent). */
    private readonly enqueue: (runId: RunId, parentRunId: string) => Promise<void>,
    private readonly lookMs = LOOK_MS,
  ) {}

  /** Parent runs this process drives that wait only for children driven elsewhere (they hold no slot). */
  get parked(): number {
    return this.waitingParents.size;
  }

  /** Calls `fn` whenever `parked` changes. */
  onChange(fn: () => void): () => void {
    this.changed.add(fn);
    return () => this.changed.delete(fn);
  }

  /** The ChildEngine the engine's composition nodes use: the engine's own, but driven by workers. */
  childEngine(): ChildEngine {
    const local = (): ChildEngine => this.engine().childEngine;
    return {
      createChild: (...args) => local().createChild(...args),
      drive: (id, opts) => this.drive(id, opts ?? {}),
      cancel: (id) => local().cancel(id),
      pause: (id) => local().pause(id),
      inspect: (id) => local().inspect(id),
      // A blocked child (waiting for a person): woken when someone moves it on.
      settled: (id) => this.settled(id, undefined, BLOCKED_LOOK_MS),
    };
  }

  private async drive(id: RunId, opts: ChildDrive): Promise<RunOutcome> {
    const engine = this.engine();
    // Undoing a succeeded child (compensation) is short and the parent's own business: here.
    if (opts.compensate) return engine.childEngine.drive(id, opts);
    let state = await engine.inspect(id);
    const parentId = state.parent?.runId;
    if (!parentId) return engine.childEngine.drive(id, opts);
    if (opts.resume && (state.status === 'paused' || state.status === 'interrupted')) {
      // Recorded here (a budget raised from the parent's), driven by whichever worker takes it.
      await engine.resume(id, { ...opts.resume, handOff: true }).catch((err: unknown) => {
        if (!(err instanceof AppError && err.code === 'conflict')) throw err;
      });
      state = await engine.inspect(id);
    }
    // Waiting for a person or paused: nothing for a worker to do until someone acts on it.
    if (!moving.has(state.status)) return outcomeOf(state);
    await this.enqueue(id, parentId);
    this.park(parentId, +1);
    try {
      for (;;) {
        const woken = this.settled(id, opts.signal);
        const status = (await this.store.getRunRow(id))?.status;
        if (status === undefined) throw new AppError('not-found', `child run ${id} not found`);
        if (!moving.has(status)) return outcomeOf(await engine.inspect(id));
        if (opts.signal?.aborted) throw opts.signal.reason;
        await woken;
      }
    } finally {
      this.park(parentId, -1);
    }
  }

  /** Resolves when the run's drive settles in any process (its NOTIFY), or after a while. */
  private settled(id: RunId, signal?: AbortSignal, ms = this.lookMs): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        unwatch?.();
        unlisten?.();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const unwatch = this.store.watchControls?.(id, done);
      const unlisten = signal ? onAbort(signal, done) : undefined;
    });
  }

  private park(parentId: string, by: 1 | -1): void {
    const n = (this.waitingParents.get(parentId) ?? 0) + by;
    const before = this.waitingParents.size;
    if (n > 0) this.waitingParents.set(parentId, n);
    else this.waitingParents.delete(parentId);
    if (this.waitingParents.size !== before) for (const fn of this.changed) fn();
  }
}

/** The waits on each parent signal, and the one abort listener that calls them. */
const abortWaits = new WeakMap<AbortSignal, { fns: Set<() => void>; listener: () => void }>();

/**
 * Calls `fn` when `signal` aborts; returns what stops that. All the children of a map node wait
 * on the node's one signal, up to its `concurrency` at once: a listener each would pass Node's
 * limit of 10 (MaxListenersExceededWarning), so the signal gets one listener that calls them all,
 * removed with the last wait.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let waits = abortWaits.get(signal);
  if (!waits) {
    const fns = new Set<() => void>();
    const listener = (): void => {
      abortWaits.delete(signal);
      for (const f of [...fns]) f();
    };
    waits = { fns, listener };
    abortWaits.set(signal, waits);
    signal.addEventListener('abort', listener, { once: true });
  }
  const own = waits;
  own.fns.add(fn);
  return () => {
    if (!own.fns.delete(fn) || own.fns.size > 0 || abortWaits.get(signal) !== own) return;
    abortWaits.delete(signal);
    signal.removeEventListener('abort', own.listener);
  };
}
