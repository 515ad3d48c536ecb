/**
 * `statepipe worker`: claims nudges from the run queue, drives each run under its lease, at most
 * `concurrency` at once; a reaper nudges runs whose driver is gone. Draining (SIGTERM) stops
 * claiming, lets drives finish up to the grace period, then hands the rest back.
 */
import { AppError } from '../../core/errors.js';
import type { RunOutcome, StatepipeService } from '../service.js';
import type { RunJob, RunQueue } from './queue.js';
import { HAND_BACK_NOW_MS, emptySummary, type WorkerSummary } from './summary.js';

export { HAND_BACK_NOW_MS, summaryLine, type WorkerSummary } from './summary.js';

export interface WorkerOptions {
  name: string;
  queue: string;
  concurrency: number;
  graceMs: number;
  /** One line per claimed and finished run. */
  log: (line: string) => void;
  /** How long an empty queue is left before asking again (ms). */
  pollMs?: number;
  /** How often the reaper looks for runs whose driver is gone (ms). */
  reapMs?: number;
  /** A queued run without a lease for this long is nudged again (ms). */
  staleMs?: number;
  /** After a lease conflict, how long the run is watched for its lease to come free (ms). */
  freedWaitMs?: number;
}

/**
 * A claimed run whose lease another process holds is watched this long (ms): one that took the
 * lease only for a moment (a dead-run scan, an action refused under it) releases it within
 * milliseconds, and the run, still to be driven, is queued again instead of waiting for the reaper.
 */
const FREED_WAIT_MS = 3_000;
/** How often it is looked at meanwhile (ms). */
const FREED_POLL_MS = 50;

/**
 * Waits `ms`, or until `signal` aborts or the wake handed to `woken` is called. Its abort listener
 * is removed however it ends: the worker's signal lives as long as the worker, and this runs every
 * poll (a listener left behind per poll was a leak, and Node's MaxListeners warning).
 */
const sleep = (ms: number, signal: AbortSignal, woken?: (wake: () => void) => void): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    woken?.(done);
  });

export class RunWorker {
  private readonly active = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private slotFreed: (() => void) | undefined;
  /** A nudge was heard since the last claim (NOTIFY from RunQueue.enqueue), and who to wake for it. */
  private nudged = false;
  private wakeIdle: (() => void) | undefined;
  readonly summary: WorkerSummary = emptySummary();

  /** Whether stopNow() was called; `nowCalled` arms the deadline of the hand-backs. */
  private urgent = false;
  private cutGrace: (() => void) | undefined;
  private nowCalled: () => void = () => undefined;
  private readonly handBackDeadline = new Promise<'late'>((resolve) => {
    this.nowCalled = () => setTimeout(() => resolve('late'), HAND_BACK_NOW_MS).unref();
  });

  constructor(
    private readonly svc: StatepipeService,
    private readonly queue: RunQueue,
    private readonly opts: WorkerOptions,
  ) {}

  /** Claims and drives until stop() is called; resolves once drained. */
  async run(): Promise<void> {
    const reaper = this.reapLoop();
    const { concurrency, queue, pollMs = 250 } = this.opts;
    // An idle worker claims as soon as a run is queued (approve, resume, --detach from any
    // process); the poll stays as the fallback while the LISTEN connection is down.
    const unwatch = this.queue.watch(queue, () => {
      this.nudged = true;
      this.wakeIdle?.();
    });
    // A run that only waits for its children on other workers holds no slot (else wide maps on
    // every worker could fill every slot with parents and leave their children no room).
    const children = this.svc.children;
    const unwatchChildren = children?.onChange(() => this.slotFreed?.());
    while (!this.stopping.signal.aborted) {
      const free = concurrency - this.active.size + (children?.parked ?? 0);
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let jobs: RunJob[] = [];
      this.nudged = false;
      try {
        jobs = await this.queue.claim(queue, free);
      } catch (err) {
        this.opts.log(`queue error: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (this.stopping.signal.aborted) {
        // Claimed while stopping: nudged again for another worker.
        for (const j of jobs) await this.giveBack(j);
        break;
      }
      for (const job of jobs) this.start(job);
      if (jobs.length === 0 && !this.nudged)
        await sleep(pollMs, this.stopping.signal, (wake) => (this.wakeIdle = wake));
      this.wakeIdle = undefined;
    }
    unwatch();
    unwatchChildren?.();
    await reaper;
    await this.drain();
    await Promise.all(this.watching);
  }

  /** Stop claiming; run() resolves after the drain. */
  stop(): void {
    this.stopping.abort();
    this.slotFreed?.();
  }

  /**
   * Stop at once (a second SIGTERM/SIGINT): no grace period, the runs still driven are handed
   * back now; those whose hand-back has not finished within HAND_BACK_NOW_MS are left for the
   * reaper of another worker (their lease runs out, or this process is gone).
   */
  stopNow(): void {
    if (this.urgent) return;
    this.urgent = true;
    this.nowCalled();
    this.stop();
    this.cutGrace?.();
  }

  /** Whether stopNow() was called. */
  get stoppedAtOnce(): boolean {
    return this.urgent;
  }

  private start(job: RunJob): void {
    this.summary.claimed++;
    this.opts.log(`claimed ${job.runId}`);
    if (this.active.has(job.runId)) {
      // Nudged again while this worker drives it (the reaper and a parent both requeued it): the
      // live drive is told to look again; this claim is not a drive of its own.
      void this.nudgeLive(job);
      return;
    }
    const p = this.drive(job).finally(() => {
      this.active.delete(job.runId);
      this.slotFreed?.();
      this.slotFreed = undefined;
    });
    this.active.set(job.runId, p);
  }

  private async drive(job: RunJob): Promise<void> {
    try {
      const outcome: RunOutcome = await this.svc.drive(job.runId);
      this.summary.finished[outcome.status] = (this.summary.finished[outcome.status] ?? 0) + 1;
      this.opts.log(`finished ${job.runId} ${outcome.status}`);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'conflict' || err.code === 'not-found')) {
        // Another process holds the lease (it drives the run), or the run is gone: nothing to do,
        // unless the lease comes free soon with the run still to drive (watchFreed).
        this.summary.skipped++;
        this.opts.log(`skipped ${job.runId} (${err.code === 'conflict' ? 'driven elsewhere' : 'not found'})`);
        if (err.code === 'conflict') this.watchFreed(job.runId);
      } else if (err instanceof AppError && err.code === 'fenced' && !this.handingBack.has(job.runId)) {
        // Its lease was taken over (this worker stalled past it, or another took it): the run is
        // in the other process's hands and this one wrote nothing more. Not an error of the run.
        this.summary.takenOver++;
        this.opts.log(`taken over ${job.runId} (another process drives it now; this worker stopped writing to it)`);
      } else if (!this.handingBack.has(job.runId)) {
        this.summary.errors++;
        this.opts.log(`error ${job.runId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await this.queue.complete(this.opts.queue, job.id).catch(() => undefined);
  }

  /** The runs watched after a lease conflict (watchFreed), each until it ends. */
  private readonly watching = new Set<Promise<void>>();

  /**
   * After a lease conflict: whoever held the lease may have taken it without driving the run (an
   * action refused under the lease because the run moved on since it was checked, a dead-run scan,
   * a drain's hand-back) and queues nothing when it lets go; the nudge this worker claimed was the
   * run's only one. So the run is watched for a few seconds, and queued again if its lease comes
   * free while it is still queued or running. Held by a process that drives it, it is left to that
   * process (and, should it die, to the reaper). Holds no slot.
   */
  private watchFreed(runId: string): void {
    const watch: Promise<void> = this.requeueWhenFreed(runId)
      .catch((err: unknown) => this.opts.log(`error ${runId}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.watching.delete(watch));
    this.watching.add(watch);
  }

  private async requeueWhenFreed(runId: string): Promise<void> {
    const deadline = Date.now() + (this.opts.freedWaitMs ?? FREED_WAIT_MS);
    while (!this.stopping.signal.aborted && Date.now() < deadline) {
      await sleep(FREED_POLL_MS, this.stopping.signal);
      const row = await this.svc.store.getRunRow(runId);
      // Ended, waiting for a person, paused or gone: nothing for a worker to do.
      if (row?.status !== 'queued' && row?.status !== 'running') return;
      if (row.ownerId !== null) continue;
      await this.queue.requeue(runId);
      this.opts.log(`requeued ${runId} (its lease came free)`);
      return;
    }
  }

  private async nudgeLive(job: RunJob): Promise<void> {
    await this.svc.drive(job.runId).catch(() => undefined);
    this.summary.skipped++;
    this.opts.log(`skipped ${job.runId} (driven here already)`);
    await this.queue.complete(this.opts.queue, job.id).catch(() => undefined);
  }

  private readonly handingBack = new Set<string>();

  private async giveBack(job: RunJob): Promise<void> {
    await this.queue.complete(this.opts.queue, job.id).catch(() => undefined);
    await this.queue.requeue(job.runId);
  }

  /**
   * Lets drives end up to the grace period (none after stopNow()), then hands the rest back:
   * lease fenced and released, nudged again. After stopNow(), a hand-back that has not finished
   * within HAND_BACK_NOW_MS leaves its run for the reaper.
   */
  private async drain(): Promise<void> {
    const all = Promise.all(this.active.values());
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.urgent ? 0 : this.opts.graceMs);
      this.cutGrace = () => resolve('late');
    });
    const first = await Promise.race([all.then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (first === 'done') return;
    await Promise.all([...this.active.keys()].map((runId) => this.handBack(runId)));
  }

  private async handBack(runId: string): Promise<void> {
    this.handingBack.add(runId);
    const done = (async () => {
      await this.svc.handBack(runId);
      await this.queue.requeue(runId);
      return 'released' as const;
    })().catch((err: unknown) => {
      this.summary.errors++;
      this.opts.log(`error ${runId}: ${err instanceof Error ? err.message : String(err)}`);
      return 'failed' as const;
    });
    const how = await Promise.race([done, this.handBackDeadline]);
    if (how === 'released') {
      this.summary.handedBack++;
      this.summary.released.push(runId);
      this.opts.log(`released ${runId}`);
    } else {
      this.summary.leftForReaper.push(runId);
      this.opts.log(`left ${runId} for the reaper${how === 'late' ? ' (not handed back in time)' : ''}`);
    }
  }

  private async reapLoop(): Promise<void> {
    const { reapMs = 3_000, staleMs = 30_000, queue } = this.opts;
    while (!this.stopping.signal.aborted) {
      await sleep(reapMs, this.stopping.signal);
      if (this.stopping.signal.aborted) break;
      try {
        const nudged = await this.queue.reap(queue, staleMs);
        this.summary.reaped += nudged.length;
        for (const id of nudged) this.opts.log(`reaped ${id}`);
      } catch (err) {
        this.opts.log(`reaper error: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
