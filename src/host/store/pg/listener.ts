/**
 * LISTEN/NOTIFY for controls: one connection per store, LISTENing on the control channel, shared
 * by every run the process drives. `requestControl` NOTIFYs (delivered at its commit) with the run
 * id; the listener wakes that run's watchers, whose driver then takes the control at once
 * instead of at its next poll. A lost connection is reopened (with a back-off), and every watcher
 * is woken when it is back: a notification sent meanwhile may have been missed. The same
 * connection LISTENs on the status channel too (hand-off.ts) while someone watches it (a live view).
 */
import pg from 'pg';
import { CONTROL_CHANNEL, STATUS_CHANNEL } from './schema.js';

export class ControlListener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly watchers = new Map<string, Set<() => void>>();
  /** Called with the run id of each notification on the status channel. */
  private readonly statusWatchers = new Set<(runId: string) => void>();
  private closed = false;
  private retryMs = 100;
  /** Connections made so far (a mark from an earlier one is stale: notifications may have been missed). */
  private connection = 0;
  /** Notifications heard per run on the current connection. */
  private readonly heard = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;

  /** Private (#): its password must not show when the store is logged. */
  readonly #config: pg.ClientConfig;

  constructor(
    config: pg.ClientConfig,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.#config = config;
  }

  /** True while the LISTEN connection is up (notifications arrive). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  watch(runId: string, wake: () => void): () => void {
    let set = this.watchers.get(runId);
    if (!set) this.watchers.set(runId, (set = new Set()));
    set.add(wake);
    this.ensure();
    return () => {
      const s = this.watchers.get(runId);
      if (!s) return;
      s.delete(wake);
      if (s.size === 0) {
        this.watchers.delete(runId);
        this.heard.delete(runId);
      }
    };
  }

  /**
   * Calls `fn` with the id of each run whose status changed without an event (STATUS_CHANNEL). A
   * change notified while the connection is down is not heard (a view sees the run's next event).
   */
  watchStatus(fn: (runId: string) => void): () => void {
    this.statusWatchers.add(fn);
    if (this.client && this.statusWatchers.size === 1)
      this.client.query(`LISTEN ${STATUS_CHANNEL}`).catch((err: unknown) => this.onError(err));
    this.ensure();
    return () => void this.statusWatchers.delete(fn);
  }

  /**
   * What has been heard for a watched run so far, while listening (else undefined): equal marks
   * taken at two moments mean no control was requested for the run in between.
   */
  mark(runId: string): string | undefined {
    if (!this.client || !this.watchers.has(runId)) return undefined;
    return `${this.connection}:${this.heard.get(runId) ?? 0}`;
  }

  /** Resolves once the LISTEN is in place (for tests and for a caller that must not miss one). */
  async ready(): Promise<void> {
    this.ensure();
    await this.connecting;
  }

  private ensure(): void {
    if (this.closed || this.client || this.connecting || this.retryTimer) return;
    this.connecting = this.connect().finally(() => (this.connecting = undefined));
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.#config);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel === STATUS_CHANNEL && n.payload !== undefined) for (const fn of this.statusWatchers) fn(n.payload);
      if (n.channel !== CONTROL_CHANNEL || n.payload === undefined) return;
      this.heard.set(n.payload, (this.heard.get(n.payload) ?? 0) + 1);
      for (const wake of this.watchers.get(n.payload) ?? []) wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CONTROL_CHANNEL}`);
      if (this.statusWatchers.size > 0) await client.query(`LISTEN ${STATUS_CHANNEL}`);
    } catch (err) {
      this.onError(err);
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.scheduleRetry();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connection++;
    this.heard.clear();
    this.retryMs = 100;
    this.wakeAll();
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (err) this.onError(err);
    client.end().catch(() => undefined);
    if (!this.closed && this.watchers.size + this.statusWatchers.size > 0) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensure();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }

  private wakeAll(): void {
    for (const set of this.watchers.values()) for (const wake of set) wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    this.heard.clear();
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }
}
