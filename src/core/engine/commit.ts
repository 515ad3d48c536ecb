/**
 * Committing events. A driver stages them (checked against the machines, numbered, applied to
 * its in-memory state) and a CommitLog writes what is staged to the store in one transaction,
 * in order, each write fenced by the driver's lease. Nothing is published before the store has
 * committed it, and a runner with an effect awaits `flush()` before it starts: its start (and
 * whatever led to it) is durable first (pure runners and reads need not: node-task.ts).
 *
 * Flushes happen at once where durability is awaited, when the stage is full, and otherwise
 * after the host's next turn, or after a linger when the host asks for one: the ends of nodes that
 * finish together (pure nodes in microtasks, a node's end and the starts it makes ready), and with
 * a linger the transitions of a few milliseconds (a chain of reads), share one transaction (group
 * commit). A linger delays only what no one awaits: what is seen, never what runs.
 */
import { AppError } from '../errors.js';
import { committedEvent, type NewEvent, type RunEvent } from '../events.js';
import type { Lease, RunStore } from '../ports.js';
import type { NodeStatus, RunStatus } from '../ports.js';
import { soon } from './clock.js';
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

/** A flush holds at most this many events; more staged flushes at once. */
export const GROUP_MAX_EVENTS = 512;

const asNew = (e: RunEvent): NewEvent =>
  (e.nodeId === undefined
    ? { type: e.type, data: e.data }
    : { type: e.type, nodeId: e.nodeId, data: e.data }) as NewEvent;

export class CommitLog {
  private staged: RunEvent[] = [];
  /** Resolves when every flush so far is written and published; rejects forever after a failed write. */
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  private scheduled = false;
  private lastMs = -1;
  private lastIso = '';

  constructor(
    private readonly store: RunStore,
    private readonly state: RunState,
    private readonly lease: Lease,
    private readonly publish: Publish,
    private readonly now: () => number,
    /** Called once, with the error, when a write fails (the store, or a fence: another process took the run). */
    private readonly onFailure: (err: unknown) => void,
    /** Every `add` is a write of its own, in order (group commit off: one transaction per transition). */
    private readonly eager = false,
    /** When what is staged and not awaited is written: after the host's next turn, or a linger (EngineDeps.commitLingerMs). */
    private readonly later: (fn: () => void) => void = soon,
  ) {}

  private isoNow(): string {
    const ms = this.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  /** Checks, numbers and applies events; they are written with the next flush. */
  add(events: readonly NewEvent[]): void {
    if (events.length === 0) return;
    if (this.failure !== undefined) throw this.failure;
    precheck(this.state, events);
    const ts = this.isoNow();
    for (const e of events) {
      const full = committedEvent(e, this.state.seq + 1, this.state.runId, ts);
      applyEvent(this.state, full);
      this.staged.push(full);
    }
    if (this.eager) this.writeAlone();
    else if (this.staged.length >= GROUP_MAX_EVENTS) this.schedule();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.later(() => {
        this.scheduled = false;
        this.schedule();
      });
    }
  }

  get size(): number {
    return this.staged.length;
  }

  /**
   * Writes what is staged (after the writes before it); resolves once all is committed and
   * published. While a write is in flight, what is staged meanwhile waits for it and then goes
   * in ONE write (taken when that write starts): many callers awaiting durability at once (a
   * map's children each committing the child it starts) share a transaction instead of queueing
   * one each behind the other.
   */
  flush(): Promise<void> {
    const last = this.staged[this.staged.length - 1]?.seq;
    if (last === undefined) return this.tail; // all of it is in writes already queued
    this.schedule();
    return this.until(last);
  }

  /**
   * Queues a write of what is staged, unless one waits already (it takes what is staged when it
   * starts); nothing to await: a failure reaches onFailure, and flush() callers.
   */
  schedule(): void {
    if (this.next || this.staged.length === 0) return;
    this.next = this.queue(() => {
      this.next = undefined;
      return this.write();
    });
  }

  /** Runs `write` after the writes queued before it; it becomes the last of them (`tail`). */
  private queue(write: () => Promise<void>): Promise<void> {
    const queued = this.tail.then(write);
    this.tail = queued;
    // A failure is reported through onFailure; callers that await flush() see it too.
    queued.catch(() => undefined);
    return queued;
  }

  /** Seq of the last event written. */
  private written = 0;

  /**
   * Resolves once the event `seq` is written. A write takes at most GROUP_MAX_EVENTS and queues
   * the rest behind it (on `tail`) before it ends: so the write that covers `seq` is on `tail`
   * by the time the one awaited ends.
   */
  private until(seq: number): Promise<void> {
    const awaited = this.tail;
    return awaited.then(() => {
      if (this.written >= seq) return;
      // Staged events no write took (a broken rule, not a state a run can reach): write them, and
      // never wait on the same settled promise again (that would spin without end).
      if (this.tail === awaited) this.schedule();
      if (this.tail === awaited)
        throw new AppError('internal', `event ${seq} of run ${this.state.runId} was never written`);
      return this.until(seq);
    });
  }

  /** The write waiting for the one in flight, if any: what is staged now goes with it. */
  private next: Promise<void> | undefined;

  /** Group commit off: what was just staged is one write of its own, after the writes before it. */
  private writeAlone(): void {
    const batch = this.staged.splice(0);
    void this.queue(() => this.writeBatch(batch));
  }

  private async write(): Promise<void> {
    const batch = this.staged.splice(0, GROUP_MAX_EVENTS);
    if (batch.length === 0) return;
    // More than a flush holds: the rest follows at once, after this one.
    if (this.staged.length > 0) this.schedule();
    return this.writeBatch(batch);
  }

  private async writeBatch(batch: RunEvent[]): Promise<void> {
    const fence = { epoch: this.lease.epoch, afterSeq: batch[0]!.seq - 1 };
    const committed = await this.store.append(this.state.runId, batch.map(asNew), fence).catch((err) => {
      this.fail(err);
      throw err;
    });
    if (committed[0]?.seq !== batch[0]!.seq) {
      const err = new AppError(
        'fenced',
        `run ${this.state.runId} was written by another process (expected seq ${batch[0]!.seq}, got ${committed[0]?.seq})`,
      );
      this.fail(err);
      throw err;
    }
    this.written = batch[batch.length - 1]!.seq;
    this.publish(committed);
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.onFailure(err);
  }
}

/** Commits events outside a driver (marking a dead run interrupted), fenced by the lease held. */
export async function commitEvents(
  store: RunStore,
  state: RunState,
  lease: Lease,
  events: NewEvent[],
  publish?: Publish,
): Promise<RunEvent[]> {
  if (events.length === 0) return [];
  precheck(state, events);
  const committed = await store.append(state.runId, events, { epoch: lease.epoch, afterSeq: state.seq });
  for (const e of committed) applyEvent(state, e);
  publish?.(committed);
  return committed;
}
