/**
 * The durable RunStore on better-sqlite3. Every write is one BEGIN IMMEDIATE transaction, so
 * writers from several processes queue on the busy timeout instead of failing; the events of
 * a batch and their projections commit together or not at all.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { AppError, controlRefused } from '../../core/errors.js';
import { isTerminalRun } from '../../core/engine/machines.js';
import type { NewEvent, RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import type { RunId } from '../../core/ids.js';
import type { ControlRequest, Fence, Lease, LeaseOwner, NewRun } from '../../core/ports.js';
import { dbError } from './db-error.js';
import { StoreQueries, toEvent } from './queries.js';
import { SUMMARY_COLUMNS, toSummary } from './rows.js';
import { HOST, isPidAlive, SqliteWrites, type RunHead } from './sqlite-writes.js';

export { isPidAlive };
import type { Store } from './store.js';
import type { RecoverAmong, RecoverableRun, SavedGraph } from './types.js';

type Row = Record<string, unknown>;

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const fenced = (runId: string, owner: string) =>
  new AppError('fenced', `run ${runId} is no longer owned by ${owner}: another process took it over`);

export class SqliteStore extends StoreQueries implements Store {
  readonly kind = 'sqlite' as const;

  get displayName(): string {
    return this.file;
  }
  private readonly leaseMs: number;
  /** The writes inside its transactions (sqlite-writes.ts). */
  private readonly w: SqliteWrites;
  private readonly sHasControls: Database.Statement;
  private readonly txSaveGraph: Database.Transaction<(graph: Graph, json: string, hash: string) => SavedGraph>;

  constructor(db: Database.Database, file: string, opts: { leaseMs?: number; busyRetryMs?: number } = {}) {
    super(db, file, opts.busyRetryMs ?? 30_000);
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.w = new SqliteWrites(db, (sql) => this.stmt(sql), this.leaseMs);
    this.sHasControls = db.prepare('SELECT 1 FROM controls WHERE run_id = ? LIMIT 1').pluck();
    // One write: its own transaction (`.immediate`, writeNow), or inside txBatch a savepoint, so
    // that a write that throws undoes only itself.
    this.txOne = db.transaction((write: () => unknown) => write());
    this.txBatch = db.transaction((writes: (() => unknown)[]) =>
      writes.map((write) => {
        try {
          return { ok: this.txOne(write) };
        } catch (err) {
          return { err };
        }
      }),
    );
    this.txSaveGraph = db.transaction((graph: Graph, json: string, hash: string) => {
      const ts = new Date().toISOString();
      const version = this.w.resolveGraphVersion(graph, hash, json, ts, true);
      return { graphId: graph.id, version, hash };
    });
  }

  // ── RunStore ────────────────────────────────────────────────────────────────────────────

  /**
   * Writes of different runs that arrive in the same turn of the event loop (a map's children,
   * a batch) commit in one transaction: one fsync for all of them. Each keeps its own savepoint,
   * so one that fails (fenced, a key taken) rolls back alone; none is answered before the
   * transaction commits. Off while `statepipe chaos` wraps the one-at-a-time writes.
   */
  coalesceWrites = true;
  private pendingWrites: { write: () => unknown; resolve: (v: never) => void; reject: (e: unknown) => void }[] = [];
  private readonly txBatch: Database.Transaction<(writes: (() => unknown)[]) => ({ ok: unknown } | { err: unknown })[]>;
  private readonly txOne: Database.Transaction<(write: () => unknown) => unknown>;

  createRun(run: NewRun): Promise<RunEvent[]> {
    return this.create(run);
  }

  async createLeased(run: NewRun, owner: LeaseOwner): Promise<{ events: RunEvent[]; lease: Lease }> {
    return { events: await this.create(run, owner), lease: { owner, epoch: 1 } };
  }

  private async create(run: NewRun, owner?: LeaseOwner): Promise<RunEvent[]> {
    if (!this.coalesceWrites) return this.createRunNow(run, owner);
    return this.coalesced(() => this.w.createIn(run, owner));
  }

  async append(runId: RunId, events: NewEvent[], fence: Fence): Promise<RunEvent[]> {
    if (events.length === 0) return [];
    if (!this.coalesceWrites) return this.appendNow(runId, events, fence);
    return this.coalesced(() => this.w.appendIn(runId, events, fence));
  }

  private coalesced<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pendingWrites.length === 0) setImmediate(() => this.flushWrites());
      this.pendingWrites.push({ write, resolve: resolve as (v: never) => void, reject });
    });
  }

  private flushWrites(): void {
    const batch = this.pendingWrites;
    this.pendingWrites = [];
    if (batch.length === 1) {
      // A write alone (each step of a chain of effectful nodes) needs no savepoint of its own.
      const w = batch[0]!;
      let out: unknown;
      try {
        out = this.writeNow(w.write);
      } catch (err) {
        return w.reject(err);
      }
      return w.resolve(out as never);
    }
    let results: ({ ok: unknown } | { err: unknown })[];
    try {
      results = this.guard(() => this.txBatch.immediate(batch.map((w) => w.write)));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i]!;
      if ('ok' in r) w.resolve(r.ok as never);
      else w.reject(r.err instanceof Error && r.err.name === 'SqliteError' ? dbError(this.file, r.err) : r.err);
    });
  }

  /** One write in a BEGIN IMMEDIATE transaction of its own, committed before it returns. */
  private writeNow<T>(write: () => T): T {
    return this.guard(() => this.txOne.immediate(write) as T);
  }

  /** createRun, committed before it returns (better-sqlite3 is synchronous; `statepipe chaos` wraps it). */
  createRunNow(run: NewRun, owner?: LeaseOwner): RunEvent[] {
    return this.writeNow(() => this.w.createIn(run, owner));
  }

  /** append, committed before it returns. */
  appendNow(runId: RunId, events: NewEvent[], fence: Fence): RunEvent[] {
    if (events.length === 0) return [];
    return this.writeNow(() => this.w.appendIn(runId, events, fence));
  }

  async loadRun(runId: RunId): Promise<{ graph: Graph; events: RunEvent[] }> {
    return this.guard(() => {
      const json = this.stmt(
        'SELECT v.json FROM runs r JOIN graph_versions v ON v.graph_id = r.graph_id AND v.version = r.graph_version WHERE r.run_id = ?',
      )
        .pluck()
        .get(runId);
      if (typeof json !== 'string') throw new AppError('not-found', `run ${runId} not found`);
      const events = (this.stmt('SELECT * FROM events WHERE run_id = ? ORDER BY seq').all(runId) as Row[]).map(toEvent);
      return { graph: JSON.parse(json) as Graph, events };
    });
  }

  async acquireLease(runId: RunId, owner: LeaseOwner): Promise<Lease | undefined> {
    if (this.coalesceWrites) return this.coalesced(() => this.w.acquireIn(runId, owner));
    return this.writeNow(() => this.w.acquireIn(runId, owner));
  }

  async renewLease(runId: RunId, lease: Lease): Promise<void> {
    this.guard(() => {
      const r = this.stmt('UPDATE runs SET lease_expires_at = ? WHERE run_id = ? AND lease_epoch = ?').run(
        Date.now() + this.leaseMs,
        runId,
        lease.epoch,
      );
      if (r.changes === 0) {
        if (!this.w.sLease.get(runId)) throw new AppError('not-found', `run ${runId} not found`);
        throw fenced(runId, lease.owner.id);
      }
    });
  }

  async releaseLease(runId: RunId, lease: Lease): Promise<void> {
    const release = () => {
      this.stmt(
        'UPDATE runs SET owner_id = NULL, owner_pid = NULL, owner_host = NULL, lease_expires_at = NULL WHERE run_id = ? AND lease_epoch = ?',
      ).run(runId, lease.epoch);
    };
    if (this.coalesceWrites) return this.coalesced(release);
    this.guard(release);
  }

  async takeControls(runId: RunId): Promise<ControlRequest[]> {
    return this.guard(() => {
      // A plain read first: the common case (nothing pending) takes no write lock.
      if (this.sHasControls.get(runId) === undefined) return [];
      return this.txOne.immediate(() => this.w.takeControlsIn(runId)) as ControlRequest[];
    });
  }

  /** Leaves a pause/cancel request for whichever process drives the run. */
  async requestControl(runId: RunId, kind: ControlRequest['kind']): Promise<void> {
    // One write transaction: no end of the run commits between the look and the insert.
    this.writeNow(() => {
      const head = this.w.sRunHead.get(runId) as RunHead | undefined;
      if (!head) throw new AppError('not-found', `run ${runId} not found`);
      // Left for the driver only while the run has not ended.
      if (isTerminalRun(head.status)) throw controlRefused(runId, head.status, kind);
      this.stmt('INSERT INTO controls (run_id, kind, created_at) VALUES (?, ?, ?)').run(
        runId,
        kind,
        new Date().toISOString(),
      );
    });
  }

  // ── Beyond RunStore ─────────────────────────────────────────────────────────────────────

  /**
   * Stores a graph version (`hash` = sha256 of `canonicalJson`) and makes it the graph's latest.
   * Saving content already stored reuses its version.
   */
  async saveGraph(graph: Graph, canonicalJson: string): Promise<SavedGraph> {
    return this.guard(() => this.txSaveGraph.immediate(graph, canonicalJson, sha256(canonicalJson)));
  }

  /**
   * Runs a crashed process left behind: `running` runs with no owner, and `running`/`queued`
   * runs whose lease expired or whose owner pid (on this host) is dead.
   */
  async findRunsToRecover(among?: RecoverAmong): Promise<RecoverableRun[]> {
    return this.guard(() => {
      const now = Date.now();
      const ids = JSON.stringify(among?.runIds ?? []);
      const parents = JSON.stringify(among?.parentRunIds ?? []);
      // Only candidates leave SQLite (a live run leased elsewhere is skipped there, not in JS):
      // every CLI command and every start of serve or the app runs this scan.
      const rows = this.stmt(
        `SELECT ${SUMMARY_COLUMNS}, owner_id, owner_pid, owner_host, lease_expires_at FROM runs
         WHERE status IN ('running', 'queued')
           AND (owner_id IS NULL OR lease_expires_at <= ? OR owner_host = ?)${
             among
               ? ` AND (run_id IN (SELECT value FROM json_each(?))
                     OR parent_run_id IN (SELECT value FROM json_each(?)))`
               : ''
           }
         ORDER BY created_at`,
      ).all(now, HOST, ...(among ? [ids, parents] : [])) as Row[];
      const out: RecoverableRun[] = [];
      for (const r of rows) {
        const ownerId = r['owner_id'] == null ? null : String(r['owner_id']);
        const pid = r['owner_pid'] == null ? null : Number(r['owner_pid']);
        const expires = r['lease_expires_at'] == null ? null : Number(r['lease_expires_at']);
        const orphan =
          ownerId === null
            ? r['status'] === 'running'
            : (expires !== null && expires <= now) || (r['owner_host'] === HOST && pid !== null && !isPidAlive(pid));
        if (orphan) out.push({ ...toSummary(r), ownerId, ownerPid: pid, leaseExpiresAt: expires });
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
