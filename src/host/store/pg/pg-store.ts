/**
 * The durable RunStore on PostgreSQL, shared by any number of processes on any number of machines
 * (docs/scale-out.md). Same semantics and rows as the SQLite store; every append is ONE round trip
 * (batch.ts): one prepared statement runs the fence, the events and the projections in one transaction. Leases run on the
 * database's clock; controls reach the driving process through LISTEN/NOTIFY (listener.ts).
 */
import os from 'node:os';
import type pg from 'pg';
import { AppError, KeyTakenError, controlRefused } from '../../../core/errors.js';
import { committedEvent, type NewEvent, type RunEvent } from '../../../core/events.js';
import type { Graph } from '../../../core/graph/schema.js';
import type { RunId } from '../../../core/ids.js';
import type { ControlRequest, Fence, Lease, LeaseOwner, NewRun } from '../../../core/ports.js';
import { isPidAlive, sha256 } from '../sqlite-store.js';
import { str, toEvent, toSummary } from '../queries.js';
import { controlKind } from '../rows.js';
import type { Store } from '../store.js';
import type { RecoverAmong, RecoverableRun, SavedGraph } from '../types.js';
import { Batch, type Statement } from './batch.js';
import { isUniqueViolation, pgError } from './errors.js';
import type { ControlListener } from './listener.js';
import { announceStatus, markQueued, releaseQueued } from './hand-off.js';
import { PgQueries } from './pg-queries.js';
import { CONTROL_CHANNEL, queueNudgeKey } from './schema.js';
import { PgRateWindow } from './rate-window.js';
import type { RateLimit } from '../../providers/limits.js';
import { QUEUE_SCHEMA } from '../../workers/queue-name.js';

const HOST = os.hostname();

/** How long "nothing was heard for this run" may answer takeControls without asking the database. */
const QUIET_MS = 5_000;

/** Default lease of a driver on PostgreSQL: a dead worker's runs are taken over within this. */
export const PG_LEASE_MS = 15_000;

const fenced = (runId: string, owner: string) =>
  new AppError('fenced', `run ${runId} is no longer owned by ${owner}: another process took it over`);

/** The events of a batch as committed: numbered from `first`, stamped `ts`. */
function committed(runId: string, ts: string, first: number, events: NewEvent[]): RunEvent[] {
  return events.map((e, i) => committedEvent(e, first + i, runId as RunId, ts));
}

export class PostgresStore extends PgQueries implements Store {
  readonly kind = 'postgres' as const;
  /** Per watched run: the listener's mark when takeControls last found nothing, and since when. */
  private readonly quiet = new Map<string, { mark: string; at: number }>();

  constructor(
    pool: pg.Pool,
    displayName: string,
    secrets: readonly string[],
    private readonly listener: ControlListener,
    private readonly leaseMs = PG_LEASE_MS,
  ) {
    super(pool, displayName, secrets);
  }

  /**
   * The connection pool (node-postgres), for what shares the database with the store, such as a
   * job queue: pass it (or its options) on rather than opening a second set of connections.
   */
  get pgPool(): pg.Pool {
    return this.pool;
  }

  /** A provider's rate-limit window shared by every process on this database (rate-window.ts). */
  rateWindow(provider: string, limit: RateLimit): PgRateWindow {
    return new PgRateWindow(this.pool, provider, limit.requestsPerMinute, limit.tokensPerMinute);
  }

  /** Runs one prepared statement of batch.ts: one round trip, one transaction. */
  private async batch(statement: Statement): Promise<void> {
    await this.pool.query(statement);
  }

  // ── RunStore ────────────────────────────────────────────────────────────────────────────

  async createRun(run: NewRun): Promise<RunEvent[]> {
    const ts = new Date().toISOString();
    const created = run.events.find((e) => e.type === 'run.created');
    const data = created?.type === 'run.created' ? created.data : undefined;
    const statement = new Batch(run.runId, ts, 1, run.events).create({
      graphId: run.graph.id,
      graphName: typeof run.graph.name === 'string' ? run.graph.name : null,
      graphHash: run.graphHash,
      graphJson: JSON.stringify(run.graph),
      input: data?.input,
      rerunOf: data?.rerunOf?.runId ?? null,
      rerunFromNode: data?.rerunOf?.fromNodeId ?? null,
      parent: data?.parent ?? null,
      idempotencyKey: run.idempotencyKey,
    });
    try {
      await this.batch(statement);
    } catch (err) {
      if (isUniqueViolation(err, 'runs_pkey')) throw new AppError('conflict', `run ${run.runId} already exists`);
      const key = run.idempotencyKey?.key;
      if (key !== undefined && isUniqueViolation(err, 'run_keys_pkey')) {
        const [holder] = await this.q('SELECT run_id, request_hash FROM statepipe.run_keys WHERE key = $1', [key]);
        if (holder) throw new KeyTakenError(key, String(holder['run_id']), str(holder['request_hash']) ?? undefined);
      }
      throw pgError(this.displayName, this.secrets, err);
    }
    return committed(run.runId, ts, 1, run.events);
  }

  async append(runId: RunId, events: NewEvent[], fence: Fence): Promise<RunEvent[]> {
    if (events.length === 0) return [];
    const ts = new Date().toISOString();
    const statement = new Batch(runId, ts, fence.afterSeq + 1, events).append(fence);
    try {
      await this.batch(statement);
    } catch (err) {
      throw pgError(this.displayName, this.secrets, err);
    }
    return committed(runId, ts, fence.afterSeq + 1, events);
  }

  async loadRun(runId: RunId): Promise<{ graph: Graph; events: RunEvent[] }> {
    // One round trip: the snapshot's JSON, then the log, in one statement's snapshot.
    const rows = await this.q(
      `SELECT v.json, e.seq, e.run_id, e.ts, e.type, e.node_id, e.data
         FROM statepipe.runs r
         JOIN statepipe.graph_versions v ON v.graph_id = r.graph_id AND v.version = r.graph_version
         LEFT JOIN statepipe.events e ON e.run_id = r.run_id
        WHERE r.run_id = $1 ORDER BY e.seq`,
      [runId],
    );
    if (rows.length === 0) throw new AppError('not-found', `run ${runId} not found`);
    const events = rows[0]!['seq'] === null ? [] : rows.map(toEvent);
    return { graph: JSON.parse(String(rows[0]!['json'])) as Graph, events };
  }

  async acquireLease(runId: RunId, owner: LeaseOwner): Promise<Lease | undefined> {
    const pid = owner.pid ?? process.pid;
    // `released`: the row had no holder (released by the last one, not left by a process that died).
    // A started run handed to workers reads `queued` until taken (queuedForWorker): `running` again.
    const take = (extra: string, params: unknown[]) =>
      this.q(
        `UPDATE statepipe.runs r SET owner_id = $2, owner_pid = $3, owner_host = $4,
            lease_expires_at = statepipe.now_ms() + $5, lease_epoch = r.lease_epoch + 1,
            status = CASE WHEN r.status = 'queued' AND r.started_at IS NOT NULL THEN 'running' ELSE r.status END
           FROM (SELECT run_id, owner_id IS NULL AS released, status FROM statepipe.runs WHERE run_id = $1 FOR UPDATE) old
          WHERE r.run_id = $1 AND old.run_id = r.run_id AND ${extra}
          RETURNING r.lease_epoch, old.released, old.status <> r.status AS taken_from_queue`,
        [runId, owner.id, pid, HOST, this.leaseMs, ...params],
      );
    const leaseOf = (row: Record<string, unknown>): Lease => {
      // A run handed to the workers reads `running` again: said to live views (no event says it),
      // without holding up the taking (a view that misses it sees the run's next event).
      if (row['taken_from_queue'] === true) void announceStatus(this.query, runId).catch(() => undefined);
      const epoch = Number(row['lease_epoch']);
      return row['released'] === true && epoch > 1 ? { owner, epoch, released: true } : { owner, epoch };
    };
    // Free, ours already, or expired on the database's clock: taken in one statement.
    const [got] = await take('(r.owner_id IS NULL OR r.owner_id = $2 OR r.lease_expires_at <= statepipe.now_ms())', []);
    if (got) return leaseOf(got);
    const [r] = await this.q('SELECT lease_epoch, owner_host, owner_pid FROM statepipe.runs WHERE run_id = $1', [
      runId,
    ]);
    if (!r) throw new AppError('not-found', `run ${runId} not found`);
    // Held by a process of this host that is gone: taken if nobody took it meanwhile.
    if (r['owner_host'] === HOST && r['owner_pid'] !== null && !isPidAlive(Number(r['owner_pid']))) {
      const [again] = await take('r.lease_epoch = $6', [r['lease_epoch']]);
      if (again) return leaseOf(again);
    }
    return undefined;
  }

  async renewLease(runId: RunId, lease: Lease): Promise<void> {
    const rows = await this.q(
      `UPDATE statepipe.runs SET lease_expires_at = statepipe.now_ms() + $3
        WHERE run_id = $1 AND lease_epoch = $2 RETURNING 1`,
      [runId, lease.epoch, this.leaseMs],
    );
    if (rows.length > 0) return;
    if (!(await this.getRunRow(runId))) throw new AppError('not-found', `run ${runId} not found`);
    throw fenced(runId, lease.owner.id);
  }

  async releaseLease(runId: RunId, lease: Lease): Promise<void> {
    await this.q(
      `UPDATE statepipe.runs SET owner_id = NULL, owner_pid = NULL, owner_host = NULL, lease_expires_at = NULL
        WHERE run_id = $1 AND lease_epoch = $2`,
      [runId, lease.epoch],
    );
  }

  /** Releases the lease and hands the run to the workers (`queued`) at once: a drain (hand-off.ts). */
  async releaseToWorkers(runId: RunId, lease: Lease): Promise<void> {
    await releaseQueued(this.query, runId, lease.epoch);
  }

  /** A started run handed to the workers reads `queued` until one takes its lease (hand-off.ts). */
  async queuedForWorker(runId: string): Promise<void> {
    await markQueued(this.query, runId);
  }

  /** Calls `fn` with the id of each run whose status changes without an event, in any process (hand-off.ts). */
  watchRunStatus(fn: (runId: string) => void): () => void {
    return this.listener.watchStatus(fn);
  }

  private readonly query = (sql: string, params?: unknown[]) => this.q(sql, params);

  /**
   * Takes the pending controls. A driver asks several times a second; while this store LISTENs
   * for the run and has heard nothing since it last found none, the answer is known without a
   * query (at most QUIET_MS old: a connection that died silently cannot hide a control longer).
   */
  async takeControls(runId: RunId): Promise<ControlRequest[]> {
    const mark = this.listener.mark(runId);
    const quiet = this.quiet.get(runId);
    const at = Date.now();
    if (mark !== undefined && quiet?.mark === mark && at - quiet.at < QUIET_MS) return [];
    const rows = await this.q('DELETE FROM statepipe.controls WHERE run_id = $1 RETURNING id, kind', [runId]);
    // Marked before the query: a request committed meanwhile changes the mark, so it is not missed.
    if (mark !== undefined) this.quiet.set(runId, { mark, at });
    else this.quiet.delete(runId);
    return rows.sort((a, b) => Number(a['id']) - Number(b['id'])).map((r) => ({ kind: controlKind(r['kind']) }));
  }

  /** Leaves a pause/cancel request and NOTIFYs the process driving the run (at commit). */
  async requestControl(runId: RunId, kind: ControlRequest['kind']): Promise<void> {
    // Left for the driver only while the run has not ended: the row is locked, so no end commits
    // between the look and the insert.
    const rows = await this.q(
      `WITH r AS (SELECT run_id, status FROM statepipe.runs WHERE run_id = $1 FOR SHARE),
            c AS (INSERT INTO statepipe.controls (run_id, kind, created_at)
                  SELECT run_id, $2, now() FROM r WHERE status NOT IN ('succeeded', 'failed', 'cancelled') RETURNING run_id),
            n AS (SELECT pg_notify('${CONTROL_CHANNEL}', run_id) FROM c)
       SELECT r.status, (SELECT count(*) FROM n) AS notified FROM r`,
      [runId, kind],
    );
    const row = rows[0];
    if (!row) throw new AppError('not-found', `run ${runId} not found`);
    if (Number(row['notified']) === 0) throw controlRefused(runId, String(row['status']), kind);
  }

  watchControls(runId: RunId, wake: () => void): () => void {
    const unwatch = this.listener.watch(runId, wake);
    return () => {
      unwatch();
      this.quiet.delete(runId);
    };
  }

  /** Wakes `wake` when a run is nudged in `queue` (RunQueue.enqueue), and when LISTEN is back after a loss. */
  watchQueue(queue: string, wake: () => void): () => void {
    return this.listener.watch(queueNudgeKey(queue), wake);
  }

  /** Tells the workers of `queue` that a run waits there (delivered at once: no transaction). */
  async nudged(queue: string): Promise<void> {
    await this.q('SELECT pg_notify($1, $2)', [CONTROL_CHANNEL, queueNudgeKey(queue)]);
  }

  /** NOTIFYs the run's watchers in every process (a child run's drive settled). */
  async announce(runId: RunId): Promise<void> {
    await this.q('SELECT pg_notify($1, $2)', [CONTROL_CHANNEL, runId]);
  }

  /** Resolves once this store LISTENs for controls (a watcher is then woken by every request). */
  async listening(): Promise<void> {
    await this.listener.ready();
  }

  // ── Beyond RunStore ─────────────────────────────────────────────────────────────────────

  async saveGraph(graph: Graph, canonicalJson: string): Promise<SavedGraph> {
    const hash = sha256(canonicalJson);
    const name = typeof graph.name === 'string' ? graph.name : null;
    const [r] = await this.q('SELECT statepipe.graph_version($1, $2, $3, $4, now(), true) AS v', [
      graph.id,
      name,
      hash,
      canonicalJson,
    ]);
    return { graphId: graph.id, version: Number(r!['v']), hash };
  }

  /**
   * Runs a crashed process left behind: `running` runs with no owner, and `running`/`queued`
   * runs whose lease expired (on the database's clock) or whose owner, on this host, is dead
   * (with `among`: of those runs and those runs' children only).
   */
  async findRunsToRecover(among?: RecoverAmong): Promise<RecoverableRun[]> {
    const only = among ? ' AND (run_id = ANY($2::text[]) OR parent_run_id = ANY($3::text[]))' : '';
    const rows = await this.q(
      `SELECT *, coalesce(lease_expires_at <= statepipe.now_ms(), false) AS expired FROM statepipe.runs
        WHERE status IN ('running', 'queued')
          AND (CASE WHEN owner_id IS NULL THEN status = 'running'
                    ELSE lease_expires_at <= statepipe.now_ms() OR owner_host = $1 END)${only}
        ORDER BY created_at`,
      among ? [HOST, among.runIds ?? [], among.parentRunIds ?? []] : [HOST],
    );
    const out: RecoverableRun[] = [];
    for (const r of rows) {
      const ownerId = r['owner_id'] == null ? null : String(r['owner_id']);
      const pid = r['owner_pid'] == null ? null : Number(r['owner_pid']);
      const dead = r['owner_host'] === HOST && pid !== null && !isPidAlive(pid);
      if (ownerId !== null && r['expired'] !== true && !dead) continue;
      const expires = r['lease_expires_at'] == null ? null : Number(r['lease_expires_at']);
      out.push({ ...toSummary(r), ownerId, ownerPid: pid, leaseExpiresAt: expires });
    }
    return out;
  }

  /** Whether the run queue's tables were found (pg-boss installs them when a worker or --detach first opens it). */
  private queueInstalled = false;

  async queuedForWorkers(runIds: readonly string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    if (!this.queueInstalled) {
      const [r] = await this.q(
        `SELECT to_regclass('${QUEUE_SCHEMA}.job') IS NOT NULL AND to_regclass('${QUEUE_SCHEMA}.archive') IS NOT NULL AS installed`,
      );
      if (r?.['installed'] !== true) return new Set(); // no worker or --detach ever used this database
      this.queueInstalled = true;
    }
    // A nudge of the run, waiting, claimed or done (pg-boss archives done jobs, by singleton key = run id).
    const rows = await this.q(
      `SELECT singleton_key AS run_id FROM ${QUEUE_SCHEMA}.job WHERE singleton_key = ANY($1)
        UNION SELECT singleton_key FROM ${QUEUE_SCHEMA}.archive WHERE singleton_key = ANY($1)`,
      [runIds],
    );
    return new Set(rows.map((r) => String(r['run_id'])));
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.close();
    await this.pool.end();
  }
}
