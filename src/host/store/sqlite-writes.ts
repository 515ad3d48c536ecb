/**
 * What the SQLite store writes inside its transactions: a batch of events fenced by the run's
 * lease and epoch (its projections with it), a new run (with its graph version, key and lease),
 * a graph version, a lease taken, the controls taken. The store (sqlite-store.ts) opens the
 * transactions; these run inside them and throw to roll back.
 */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { AppError, KeyTakenError } from '../../core/errors.js';
import { committedEvent, type NewEvent, type RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import type { RunId } from '../../core/ids.js';
import type { ControlRequest, Fence, Lease, LeaseOwner, NewRun, RunStatus } from '../../core/ports.js';
import { Projector, toJson, type BatchState } from './projections.js';
import { LAST_SEQ } from './queries.js';
import { controlKind } from './rows.js';

/** What an append reads of its run first: where its log ends, its lease's epoch, its status. */
export interface RunHead {
  last_seq: number;
  lease_epoch: number;
  status: RunStatus;
  created_at: string;
  started_at: string | null;
}

interface LeaseRow {
  lease_epoch: number;
  owner_id: string | null;
  owner_pid: number | null;
  owner_host: string | null;
  lease_expires_at: number | null;
}

/** True unless the pid certainly does not exist on this host (ESRCH). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'ESRCH';
  }
}

/** This host, as a lease's owner names it (a dead pid is only known dead on its own host). */
export const HOST = os.hostname();

/** The writes, with the statements they use; the store's transactions call them. */
export class SqliteWrites {
  private readonly projector: Projector;
  readonly sRunHead: Database.Statement;
  private readonly sInsertEvent: Database.Statement;
  readonly sLease: Database.Statement;

  constructor(
    db: Database.Database,
    /** A prepared statement, cached (the store's). */
    private readonly stmt: (sql: string) => Database.Statement,
    private readonly leaseMs: number,
  ) {
    this.projector = new Projector(db);
    this.sRunHead = db.prepare(
      `SELECT ${LAST_SEQ}, lease_epoch, status, created_at, started_at FROM runs WHERE run_id = ?`,
    );
    this.sInsertEvent = db.prepare(
      'INSERT INTO events (run_id, seq, ts, type, node_id, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.sLease = db.prepare(
      'SELECT lease_epoch, owner_id, owner_pid, owner_host, lease_expires_at FROM runs WHERE run_id = ?',
    );
  }

  appendIn(runId: string, events: NewEvent[], fence: Fence): RunEvent[] {
    const head = this.sRunHead.get(runId) as RunHead | undefined;
    if (!head) throw new AppError('not-found', `run ${runId} not found`);
    if (Number(head.lease_epoch) !== fence.epoch || Number(head.last_seq) !== fence.afterSeq) {
      throw new AppError(
        'fenced',
        `run ${runId} was written by another process (lease epoch ${head.lease_epoch}, last seq ${head.last_seq}; ` +
          `this writer holds epoch ${fence.epoch} after seq ${fence.afterSeq}): it stops here`,
      );
    }
    return this.commitEvents(runId, head, events);
  }

  private commitEvents(runId: string, head: RunHead, events: NewEvent[]): RunEvent[] {
    const ts = new Date().toISOString();
    const st: BatchState = {
      runId,
      ts,
      status: head.status,
      initialStatus: head.status,
      createdAt: head.created_at,
      startedAt: head.started_at,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    };
    let seq = Number(head.last_seq);
    const out: RunEvent[] = [];
    for (const e of events) {
      seq++;
      const c = committedEvent(e, seq, runId as RunId, ts);
      this.sInsertEvent.run(runId, seq, ts, c.type, c.nodeId ?? null, JSON.stringify(c.data));
      this.projector.apply(st, seq, e);
      out.push(c);
    }
    this.projector.finishBatch(st);
    return out;
  }

  /** `owner`: the run is created leased to it (epoch 1). */
  createIn(run: NewRun, owner?: LeaseOwner): RunEvent[] {
    if (this.sRunHead.get(run.runId)) throw new AppError('conflict', `run ${run.runId} already exists`);
    const key = run.idempotencyKey;
    if (key !== undefined) {
      const existing = this.stmt('SELECT run_id, request_hash FROM run_keys WHERE key = ?').get(key.key) as
        { run_id: string; request_hash: string | null } | undefined;
      if (existing) throw new KeyTakenError(key.key, existing.run_id, existing.request_hash ?? undefined);
    }
    const ts = new Date().toISOString();
    const version = this.resolveGraphVersion(run.graph, run.graphHash, JSON.stringify(run.graph), ts, false);
    const created = run.events.find((e) => e.type === 'run.created');
    const data = created?.type === 'run.created' ? created.data : undefined;
    this.stmt(
      `INSERT INTO runs (run_id, graph_id, graph_version, graph_hash, status, input, created_at, rerun_of, rerun_from_node,
         parent_run_id, parent_node_id, child_key)
       VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      run.runId,
      run.graph.id,
      version,
      run.graphHash,
      toJson(data?.input),
      ts,
      data?.rerunOf?.runId ?? null,
      data?.rerunOf?.fromNodeId ?? null,
      data?.parent?.runId ?? null,
      data?.parent?.nodeId ?? null,
      data?.parent?.key ?? null,
    );
    // Taken as acquireLease takes it, in this transaction: a fresh run's first epoch, 1.
    if (owner) this.acquireIn(run.runId, owner);
    if (key !== undefined)
      this.stmt('INSERT INTO run_keys (key, run_id, created_at, request_hash) VALUES (?, ?, ?, ?)').run(
        key.key,
        run.runId,
        ts,
        key.requestHash ?? null,
      );
    const head: RunHead = {
      last_seq: 0,
      lease_epoch: owner ? 1 : 0,
      status: 'queued',
      created_at: ts,
      started_at: null,
    };
    return run.events.length === 0 ? [] : this.commitEvents(run.runId, head, run.events);
  }

  /**
   * The version of this graph content, inserting it (and the graph) if new. `save`: a saved
   * version, made the graph's latest; else a run's snapshot (a draft run), which neither becomes
   * the latest nor counts as saved (the graph row is only created when the id is new).
   */
  resolveGraphVersion(graph: Graph, hash: string, json: string, ts: string, save: boolean): number {
    const name = typeof graph.name === 'string' ? graph.name : null;
    const existing = this.stmt('SELECT version FROM graph_versions WHERE graph_id = ? AND hash = ?')
      .pluck()
      .get(graph.id, hash);
    let version: number;
    if (existing !== undefined) {
      version = Number(existing);
      if (!save) return version;
      this.stmt('UPDATE graph_versions SET saved = 1 WHERE graph_id = ? AND version = ?').run(graph.id, version);
    } else {
      const max = this.stmt('SELECT max(version) FROM graph_versions WHERE graph_id = ?').pluck().get(graph.id);
      version = (max == null ? 0 : Number(max)) + 1;
    }
    if (save)
      this.stmt(
        `INSERT INTO graphs (graph_id, name, latest_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (graph_id) DO UPDATE SET name = COALESCE(excluded.name, name),
           latest_version = excluded.latest_version, updated_at = excluded.updated_at`,
      ).run(graph.id, name, version, ts, ts);
    else
      this.stmt(
        `INSERT INTO graphs (graph_id, name, latest_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (graph_id) DO NOTHING`,
      ).run(graph.id, name, version, ts, ts);
    if (existing === undefined) {
      this.stmt(
        'INSERT INTO graph_versions (graph_id, version, hash, json, created_at, saved) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(graph.id, version, hash, json, ts, save ? 1 : 0);
    }
    return version;
  }

  acquireIn(runId: string, owner: LeaseOwner): Lease | undefined {
    const r = this.sLease.get(runId) as LeaseRow | undefined;
    if (!r) throw new AppError('not-found', `run ${runId} not found`);
    const now = Date.now();
    const free =
      r.owner_id === null ||
      r.owner_id === owner.id ||
      (r.lease_expires_at !== null && r.lease_expires_at <= now) ||
      (r.owner_host === HOST && r.owner_pid !== null && !isPidAlive(Number(r.owner_pid)));
    if (!free) return undefined;
    const epoch = Number(r.lease_epoch) + 1;
    this.stmt(
      'UPDATE runs SET owner_id = ?, owner_pid = ?, owner_host = ?, lease_expires_at = ?, lease_epoch = ? WHERE run_id = ?',
    ).run(owner.id, owner.pid ?? process.pid, HOST, now + this.leaseMs, epoch, runId);
    return r.owner_id === null && epoch > 1 ? { owner, epoch, released: true } : { owner, epoch };
  }

  takeControlsIn(runId: string): ControlRequest[] {
    const rows = this.stmt('SELECT id, kind FROM controls WHERE run_id = ? ORDER BY id').all(runId) as {
      id: number;
      kind: string;
    }[];
    if (rows.length === 0) return [];
    this.stmt('DELETE FROM controls WHERE run_id = ? AND id <= ?').run(runId, rows[rows.length - 1]!.id);
    return rows.map((r) => ({ kind: controlKind(r.kind) }));
  }
}
