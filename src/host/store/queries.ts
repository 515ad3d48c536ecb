/**
 * Read side for the CLI and the studio: run lists (filtered, sorted, paged: run-list.ts), one
 * run's row, node states and attempts, approvals, events since a seq, and stored graphs. The row
 * mappers it shares with the PostgreSQL store live in rows.ts (re-exported here).
 */
import type Database from 'better-sqlite3';
import { AppError } from '../../core/errors.js';
import type { RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import { dbError } from './db-error.js';
import { foldNodeRows, type StoredEvent } from './node-rows.js';
import { countRunRows, listRunRows, withChildCounts } from './run-list.js';
import {
  toApproval,
  toEvent,
  toGraphInfo,
  toGraphVersion,
  toRunRow,
  toSummary,
  toVersionOf,
  type Row,
} from './rows.js';
import type {
  ApprovalRow,
  GraphInfo,
  GraphVersionInfo,
  ListRunsOptions,
  NodeAttemptRow,
  NodeStateRow,
  RunRow,
  RunSummary,
} from './types.js';

export * from './rows.js';

/** A run's last seq, in a query of `runs`: the largest of its events' (the events' key finds it). */
export const LAST_SEQ = '(SELECT coalesce(max(e.seq), 0) FROM events e WHERE e.run_id = runs.run_id) AS last_seq';

export class StoreQueries {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(
    /** The underlying connection (for the host's own maintenance; prefer the methods). */
    readonly db: Database.Database,
    /** Absolute path of the database file. */
    readonly file: string,
    /**
     * SQLite's busy handler is not fair: a process that commits in a tight loop can starve
     * another past `busy_timeout`. A write that still gets SQLITE_BUSY is retried (it changed
     * nothing: BEGIN IMMEDIATE failed) until this much time has passed.
     */
    private readonly busyRetryMs = 30_000,
  ) {}

  /** A prepared statement, cached by its SQL text. */
  protected stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs `fn`, retrying while SQLite is busy, and turns SQLite failures into AppError('database'). */
  protected guard<T>(fn: () => T): T {
    const deadline = Date.now() + this.busyRetryMs;
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!(err instanceof Error && err.name === 'SqliteError')) throw err;
        const code = String((err as { code?: unknown }).code ?? '');
        if (code.startsWith('SQLITE_BUSY') && !this.db.inTransaction && Date.now() < deadline) continue;
        throw dbError(this.file, err);
      }
    }
  }

  /** Runs matching the filter, one page of them, with their child counts; newest first by default (run-list.ts plans it). */
  async listRuns(opts: ListRunsOptions = {}): Promise<RunSummary[]> {
    return this.guard(() => {
      const stmt = (sql: string): Database.Statement => this.stmt(sql);
      return withChildCounts(stmt, listRunRows(stmt, opts).map(toSummary));
    });
  }

  /** How many runs match the filter (limit/offset/sort ignored), for paging. */
  async countRuns(opts: ListRunsOptions = {}): Promise<number> {
    return this.guard(() => countRunRows((sql) => this.stmt(sql), opts));
  }

  /** The run's whole row, or undefined if there is no such run. */
  async getRunRow(runId: string): Promise<RunRow | undefined> {
    return this.guard(() => {
      const r = this.stmt(`SELECT *, ${LAST_SEQ} FROM runs WHERE run_id = ?`).get(runId) as Row | undefined;
      return r ? toRunRow(r) : undefined;
    });
  }

  /** Current state of every node that has had an event, in order of last change. */
  async nodeStates(runId: string): Promise<NodeStateRow[]> {
    return this.guard(() => foldNodeRows(this.nodeEvents(runId)).states);
  }

  /** Every attempt of every node of a run (optionally one node), oldest first. */
  async nodeAttempts(runId: string, nodeId?: string): Promise<NodeAttemptRow[]> {
    return this.guard(() => {
      const { attempts } = foldNodeRows(this.nodeEvents(runId, nodeId));
      return nodeId === undefined ? attempts : attempts.sort((a, b) => a.attempt - b.attempt);
    });
  }

  /**
   * The events a run's node rows are folded from (node-rows.ts): those of its nodes (one node's
   * when given), without the streamed text, logs, agent steps and polls, which change no row.
   */
  private nodeEvents(runId: string, nodeId?: string): StoredEvent[] {
    const skip = "type NOT IN ('node.tokens', 'node.log', 'agent.step', 'node.poll')";
    const rows = (
      nodeId === undefined
        ? this.stmt(
            `SELECT seq, ts, type, node_id, data FROM events WHERE run_id = ? AND node_id IS NOT NULL AND ${skip} ORDER BY seq`,
          ).all(runId)
        : this.stmt(
            `SELECT seq, ts, type, node_id, data FROM events WHERE run_id = ? AND node_id = ? AND ${skip} ORDER BY seq`,
          ).all(runId, nodeId)
    ) as Row[];
    return rows.map((r) => ({
      seq: Number(r['seq']),
      ts: String(r['ts']),
      type: String(r['type']),
      nodeId: String(r['node_id']),
      data: JSON.parse(String(r['data'])) as unknown,
    }));
  }

  /** Open approvals of one run, or of every run when `runId` is omitted (the studio inbox). */
  async openApprovals(runId?: string): Promise<ApprovalRow[]> {
    return this.guard(() => {
      const rows = (
        runId === undefined
          ? this.stmt("SELECT * FROM approvals WHERE status = 'open' ORDER BY requested_at, id").all()
          : this.stmt("SELECT * FROM approvals WHERE run_id = ? AND status = 'open' ORDER BY id").all(runId)
      ) as Row[];
      return rows.map(toApproval);
    });
  }

  /** Every approval (open and decided) of a run, oldest first. */
  async approvals(runId: string): Promise<ApprovalRow[]> {
    return this.guard(() =>
      (this.stmt('SELECT * FROM approvals WHERE run_id = ? ORDER BY id').all(runId) as Row[]).map(toApproval),
    );
  }

  /** Committed events with seq > afterSeq, in order. */
  async eventsSince(runId: string, afterSeq: number, limit?: number): Promise<RunEvent[]> {
    return this.guard(() => {
      const rows = (
        limit === undefined
          ? this.stmt('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq').all(runId, afterSeq)
          : this.stmt('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(
              runId,
              afterSeq,
              Math.max(0, Math.floor(limit)),
            )
      ) as Row[];
      return rows.map(toEvent);
    });
  }

  /**
   * The log of every run in commit order, for a host that tails it (the web host's feed).
   * Writers serialize on BEGIN IMMEDIATE, so rowids grow in commit order.
   */
  async eventsAfterCursor(cursor: number, limit: number): Promise<{ cursor: number; events: RunEvent[] }> {
    return this.guard(() => {
      const rows = this.stmt('SELECT rowid AS _cursor, * FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?').all(
        cursor,
        limit,
      ) as Row[];
      const last = rows.at(-1);
      return { cursor: last ? Number(last['_cursor']) : cursor, events: rows.map(toEvent) };
    });
  }

  async maxEventCursor(): Promise<number> {
    return this.guard(() => Number(this.stmt('SELECT coalesce(max(rowid), 0) FROM events').pluck().get()));
  }

  /** The streamed text of one attempt of a node, in order (all attempts if omitted). */
  async streamedText(runId: string, nodeId: string, attempt?: number): Promise<string> {
    return this.guard(() => {
      const parts = (
        attempt === undefined
          ? this.stmt('SELECT text FROM stream_chunks WHERE run_id = ? AND node_id = ? ORDER BY attempt, seq')
              .pluck()
              .all(runId, nodeId)
          : this.stmt('SELECT text FROM stream_chunks WHERE run_id = ? AND node_id = ? AND attempt = ? ORDER BY seq')
              .pluck()
              .all(runId, nodeId, attempt)
      ) as string[];
      return parts.join('');
    });
  }

  /** A stored graph: the latest saved version by default. Throws AppError('not-found'). */
  async getGraph(graphId: string, version?: number): Promise<Graph> {
    return this.guard(() => {
      const json =
        version === undefined
          ? this.stmt(
              'SELECT v.json FROM graphs g JOIN graph_versions v ON v.graph_id = g.graph_id AND v.version = g.latest_version WHERE g.graph_id = ?',
            )
              .pluck()
              .get(graphId)
          : this.stmt('SELECT json FROM graph_versions WHERE graph_id = ? AND version = ?')
              .pluck()
              .get(graphId, version);
      if (typeof json !== 'string') {
        throw new AppError(
          'not-found',
          version === undefined ? `graph ${graphId} not found` : `graph ${graphId} version ${version} not found`,
        );
      }
      return JSON.parse(json) as Graph;
    });
  }

  /** The saved versions of a graph, newest first (run snapshots of drafts are not versions a person saved). */
  async graphVersions(graphId: string): Promise<GraphVersionInfo[]> {
    return this.guard(() =>
      (
        this.stmt(
          `SELECT v.version, v.hash, v.created_at, json_extract(v.json, '$.name') AS name,
             json_array_length(v.json, '$.nodes') AS nodes,
             (SELECT count(*) FROM runs r WHERE r.graph_id = v.graph_id AND r.graph_version = v.version) AS runs
           FROM graph_versions v WHERE v.graph_id = ? AND v.saved = 1 ORDER BY v.version DESC`,
        ).all(graphId) as Row[]
      ).map(toGraphVersion),
    );
  }

  /** A graph version's number and whether it is a saved one (`version` omitted: the latest). */
  async graphVersionOf(graphId: string, version?: number): Promise<{ version: number; saved: boolean } | null> {
    return this.guard(() => {
      const r = (
        version === undefined
          ? this.stmt(
              'SELECT v.version, v.saved FROM graphs g JOIN graph_versions v ON v.graph_id = g.graph_id AND v.version = g.latest_version WHERE g.graph_id = ?',
            ).get(graphId)
          : this.stmt('SELECT version, saved FROM graph_versions WHERE graph_id = ? AND version = ?').get(
              graphId,
              version,
            )
      ) as Row | undefined;
      return r ? toVersionOf(r) : null;
    });
  }

  /**
   * Stored graphs, most recently updated first: those with a saved version (the graph list a
   * person opens from), or with `includeDrafts` also graphs only ever run as drafts (filters).
   */
  async listGraphs(opts: { includeDrafts?: boolean } = {}): Promise<GraphInfo[]> {
    const where = opts.includeDrafts
      ? ''
      : ' WHERE EXISTS (SELECT 1 FROM graph_versions v WHERE v.graph_id = graphs.graph_id AND v.saved = 1)';
    return this.guard(() =>
      (this.stmt(`SELECT * FROM graphs${where} ORDER BY updated_at DESC, graph_id`).all() as Row[]).map(toGraphInfo),
    );
  }
}
