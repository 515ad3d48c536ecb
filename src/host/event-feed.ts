/**
 * The event feed of a web host: tails the database's event log (so runs driven by other
 * processes, such as the CLI, show up too) and hands new events to subscribers in frames. On
 * PostgreSQL it also says when a run's status changes without an event (a run a worker's drain
 * handed back reads `queued`, then `running` once another worker takes it: Store.watchRunStatus).
 */
import type { RunEvent } from '../core/events.js';
import type { RunStatus } from '../core/ports.js';
import type { Store } from './store/index.js';
import type { WireEvent } from '../contract/push.js';
import { coalesceTokens } from './coalesce.js';

export type FeedListener = (events: WireEvent[]) => void;
export type StatusListener = (runId: string, status: RunStatus) => void;

export class EventFeed {
  private cursor = 0;
  private readonly listeners = new Set<FeedListener>();
  private timer: NodeJS.Timeout | undefined;
  private pending: RunEvent[] = [];
  private frame: NodeJS.Timeout | undefined;

  private constructor(
    private readonly store: Store,
    private readonly opts: { pollMs?: number; frameMs?: number } = {},
  ) {}

  /** A feed of what is committed from now on. */
  static async open(store: Store, opts: { pollMs?: number; frameMs?: number } = {}): Promise<EventFeed> {
    const feed = new EventFeed(store, opts);
    feed.cursor = await store.maxEventCursor();
    return feed;
  }

  get position(): number {
    return this.cursor;
  }

  start(): void {
    this.unwatchStatus = this.store.watchRunStatus?.((runId) => this.statusChanged(runId));
    const poll = async () => {
      try {
        await this.poll();
      } catch {
        /* a busy or locked database: try again on the next tick */
      }
      if (!this.stopped) this.timer = setTimeout(poll, this.opts.pollMs ?? 40);
    };
    this.timer = setTimeout(poll, this.opts.pollMs ?? 40);
  }

  private stopped = false;

  subscribe(fn: FeedListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private readonly statusListeners = new Set<StatusListener>();
  private unwatchStatus: (() => void) | undefined;
  /** The rows read for status changes, one after the other: the last one said is the latest. */
  private statusReads: Promise<void> = Promise.resolve();

  /** Runs whose status changed without an event, with the status their row has now. */
  subscribeStatus(fn: StatusListener): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private statusChanged(runId: string): void {
    this.statusReads = this.statusReads.then(async () => {
      const row = await this.store.getRunRow(runId).catch(() => undefined); // closing, or busy: the next event says it
      if (!row || this.stopped) return;
      for (const fn of this.statusListeners) fn(runId, row.status);
    });
  }

  /** Reads what was committed since the last poll (in commit order). */
  async poll(): Promise<void> {
    for (;;) {
      const { cursor, events } = await this.store.eventsAfterCursor(this.cursor, 2000);
      if (events.length === 0) return;
      this.cursor = cursor;
      this.pending.push(...events);
      this.frame ??= setTimeout(() => this.flush(), this.opts.frameMs ?? 16);
      if (events.length < 2000) return;
    }
  }

  private flush(): void {
    this.frame = undefined;
    const batch = coalesceTokens(this.pending);
    this.pending = [];
    for (const fn of this.listeners) fn(batch);
  }

  stop(): void {
    this.stopped = true;
    this.unwatchStatus?.();
    clearTimeout(this.timer);
    clearTimeout(this.frame);
  }
}
