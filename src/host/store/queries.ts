/**
 * Read side for the CLI and the studio: run lists (filtered, sorted, paged), one run's row,
 * node states and attempts, approvals, events since a seq, and stored graphs.
 */
import type Database from 'better-sqlite3';
import { AppError } from '../../core/errors.js';
import type { RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import type { RunStatus } from '../../core/ports.js';
import { dbError } from './db-error.js';
import type {
  ApprovalRow,
  GraphInfo,
  GraphVersionInfo,
  ListRunsOptions,
  NodeAttemptRow,
  NodeStateRow,
  RunRow,
  RunSort,
  RunSummary,
} from './types.js';

type Row = Record<string, unknown>;

export const parseJson = (s: unknown): unknown => (typeof s === 'string' ? JSON.parse(s) : null);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const int = (v: unknown): number | null => (typeof v === 'number' || typeof v === 'bigint' ? Number(v) : null);

export const SORT_COLUMN: Record<RunSort, string> = {
  created: 'created_at',
  started: 'started_at',
  cost: 'cost_usd',
  tokens: 'tokens',
  duration: 'duration_ms',
  status: 'status',
  graph: 'graph_id',
};

/** Ties broken by creation time (runs_status and runs_graph end in created_at), then run id. */
export const THEN_CREATED: ReadonlySet<RunSort> = new Set(['status', 'graph']);

export const SUMMARY_COLUMNS =
  'run_id, graph_id, graph_version, status, created_at, started_at, finished_at, duration_ms, tokens, cost_usd, parent_run_id, parent_node_id, child_key';

/** A time as stored (`toISOString`), so string order is time order. */
export function isoTime(v: string, name: string): string {
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new AppError('usage', `${name}: not a date: ${JSON.stringify(v)}`);
  return new Date(t).toISOString();
}

export function toSummary(r: Row): RunSummary {
  return {
    runId: String(r['run_id']),
    graphId: String(r['graph_id']),
    graphVersion: Number(r['graph_version']),
    status: r['status'] as RunStatus,
    createdAt: String(r['created_at']),
    startedAt: str(r['started_at']),
    finishedAt: str(r['finished_at']),
    durationMs: int(r['duration_ms']),
    tokens: Number(r['tokens'] ?? 0),
    costUsd: Number(r['cost_usd'] ?? 0),
    ...(r['parent_run_id'] != null
      ? {
          parent: {
            runId: String(r['parent_run_id']),
            nodeId: String(r['parent_node_id']),
            key: Number(r['child_key']),
          },
        }
      : {}),
  };
}

/**
 * Sets `children` (child runs by status) on the runs that have any, from rows of `parent`,
 * `status` and `n` (the count of child runs of that parent in that status), of either store.
 */
export function addChildCounts(runs: RunSummary[], counts: readonly Row[]): void {
  const byRun = new Map(runs.map((r) => [r.runId, r]));
  for (const c of counts) {
    const run = byRun.get(String(c['parent']));
    if (run) (run.children ??= {})[c['status'] as RunStatus] = Number(c['n']);
  }
}

export function toEvent(r: Row): RunEvent {
  const e: Record<string, unknown> = { seq: Number(r['seq']), runId: r['run_id'], ts: r['ts'], type: r['type'] };
  if (r['node_id'] != null) e['nodeId'] = r['node_id'];
  e['data'] = parseJson(r['data']) ?? {};
  return e as unknown as RunEvent;
}

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

  private where(opts: ListRunsOptions): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    // Top-level runs unless asked for every run or for the children of one.
    if (opts.parentRunId !== undefined) {
      clauses.push('parent_run_id = ?');
      params.push(opts.parentRunId);
    } else if (opts.all !== true) clauses.push('parent_run_id IS NULL');
    if (opts.status !== undefined) {
      const list = Array.isArray(opts.status) ? opts.status : [opts.status];
      if (list.length > 0) {
        clauses.push(`status IN (${list.map(() => '?').join(', ')})`);
        params.push(...list);
      }
    }
    if (opts.graphId !== undefined) {
      clauses.push('graph_id = ?');
      params.push(opts.graphId);
    }
    const text = opts.text?.trim() ?? '';
    if ([...text].length >= 3) {
      clauses.push('rowid IN (SELECT rowid FROM runs_search WHERE runs_search MATCH ?)');
      params.push(`"${text.replace(/"/g, '""')}"`);
    } else if (text !== '') {
      const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      clauses.push("(run_id LIKE ? ESCAPE '\\' OR graph_id LIKE ? ESCAPE '\\')");
      params.push(like, like);
    }
    if (opts.from !== undefined) {
      clauses.push('created_at >= ?');
      params.push(isoTime(opts.from, 'from'));
    }
    if (opts.to !== undefined) {
      clauses.push('created_at < ?');
      params.push(isoTime(opts.to, 'to'));
    }
    return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
  }

  /** Runs matching the filter; newest first by default. */
  async listRuns(opts: ListRunsOptions = {}): Promise<RunSummary[]> {
    return this.guard(() => {
      const { sql, params } = this.where(opts);
      const col = SORT_COLUMN[opts.sort ?? 'created'] ?? 'created_at';
      const dir = opts.order === 'asc' ? 'ASC' : 'DESC';
      const limit = Math.max(0, Math.floor(opts.limit ?? 50));
      const offset = Math.max(0, Math.floor(opts.offset ?? 0));
      const then = THEN_CREATED.has(opts.sort ?? 'created') ? ` created_at ${dir},` : '';
      const q = `SELECT ${SUMMARY_COLUMNS} FROM runs${sql} ORDER BY ${col} ${dir},${then} run_id ${dir} LIMIT ? OFFSET ?`;
      const runs = (this.stmt(q).all(...params, limit, offset) as Row[]).map(toSummary);
      this.addChildCounts(runs);
      return runs;
    });
  }

  /** Each run's child runs counted by status (only runs that have children get `children`). */
  private addChildCounts(runs: RunSummary[]): void {
    if (runs.length === 0) return;
    const rows = this.db
      .prepare(
        `SELECT parent_run_id AS parent, status, count(*) AS n FROM runs
         WHERE parent_run_id IN (${runs.map(() => '?').join(', ')}) GROUP BY parent_run_id, status`,
      )
      .all(...runs.map((r) => r.runId)) as Row[];
    addChildCounts(runs, rows);
  }

  /** How many runs match the filter (limit/offset/sort ignored), for paging. */
  async countRuns(opts: ListRunsOptions = {}): Promise<number> {
    return this.guard(() => {
      const { sql, params } = this.where(opts);
      return Number(
        this.stmt(`SELECT count(*) FROM runs${sql}`)
          .pluck()
          .get(...params),
      );
    });
  }

  /** The run's whole row, or undefined if there is no such run. */
  async getRunRow(runId: string): Promise<RunRow | undefined> {
    return this.guard(() => {
      const r = this.stmt('SELECT * FROM runs WHERE run_id = ?').get(runId) as Row | undefined;
      return r ? toRunRow(r) : undefined;
    });
  }

  /** Current state of every node that has had an event, in order of last change. */
  async nodeStates(runId: string): Promise<NodeStateRow[]> {
    return this.guard(() =>
      (this.stmt('SELECT * FROM node_states WHERE run_id = ? ORDER BY updated_seq').all(runId) as Row[]).map(
        toNodeState,
      ),
    );
  }

  /** Every attempt of every node of a run (optionally one node), oldest first. */
  async nodeAttempts(runId: string, nodeId?: string): Promise<NodeAttemptRow[]> {
    return this.guard(() => {
      const rows = (
        nodeId === undefined
          ? this.stmt('SELECT * FROM node_attempts WHERE run_id = ? ORDER BY started_at, node_id, attempt').all(runId)
          : this.stmt('SELECT * FROM node_attempts WHERE run_id = ? AND node_id = ? ORDER BY attempt').all(
              runId,
              nodeId,
            )
      ) as Row[];
      return rows.map(toAttempt);
    });
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

export function toApproval(r: Row): ApprovalRow {
  return {
    id: Number(r['id']),
    runId: String(r['run_id']),
    nodeId: String(r['node_id']),
    status: r['status'] as ApprovalRow['status'],
    title: String(r['title']),
    details: parseJson(r['details']),
    requestedAt: String(r['requested_at']),
    requestedSeq: Number(r['requested_seq']),
    decidedAt: str(r['decided_at']),
    by: str(r['decided_by']),
    comment: str(r['comment']),
    data: parseJson(r['data']),
  };
}

export function toRunRow(r: Row): RunRow {
  // SQLite stores 0/1, PostgreSQL a boolean.
  const c = r['compensated'];
  return {
    ...toSummary(r),
    graphHash: String(r['graph_hash']),
    input: parseJson(r['input']),
    result: parseJson(r['result']),
    error: parseJson(r['error']) as RunRow['error'],
    errorNodeId: str(r['error_node_id']),
    inputTokens: Number(r['input_tokens'] ?? 0),
    outputTokens: Number(r['output_tokens'] ?? 0),
    lastSeq: Number(r['last_seq'] ?? 0),
    ownerId: str(r['owner_id']),
    ownerPid: int(r['owner_pid']),
    ownerHost: str(r['owner_host']),
    leaseExpiresAt: int(r['lease_expires_at']),
    parentRunId: str(r['parent_run_id']),
    parentNodeId: str(r['parent_node_id']),
    childKey: int(r['child_key']),
    rerunOf: str(r['rerun_of']),
    rerunFromNode: str(r['rerun_from_node']),
    compensated: c == null ? null : c === true || Number(c) === 1,
    compensationFailed: parseJson(r['compensation_failed']) as string[] | null,
  };
}

export function toNodeState(r: Row): NodeStateRow {
  return {
    nodeId: String(r['node_id']),
    status: r['status'] as NodeStateRow['status'],
    attempt: Number(r['attempt'] ?? 0),
    output: parseJson(r['output']),
    error: parseJson(r['error']) as NodeStateRow['error'],
    detail: parseJson(r['detail']) as NodeStateRow['detail'],
    startedAt: str(r['started_at']),
    finishedAt: str(r['finished_at']),
    tokens: Number(r['tokens'] ?? 0),
    costUsd: Number(r['cost_usd'] ?? 0),
    compensation: str(r['compensation']) as NodeStateRow['compensation'],
    compensationError: parseJson(r['compensation_error']) as NodeStateRow['compensationError'],
    updatedSeq: Number(r['updated_seq']),
  };
}

export function toAttempt(r: Row): NodeAttemptRow {
  return {
    nodeId: String(r['node_id']),
    attempt: Number(r['attempt']),
    status: r['status'] as NodeAttemptRow['status'],
    idempotencyKey: str(r['idempotency_key']),
    startedAt: str(r['started_at']),
    finishedAt: str(r['finished_at']),
    durationMs: int(r['duration_ms']),
    error: parseJson(r['error']) as NodeAttemptRow['error'],
    inputTokens: Number(r['input_tokens'] ?? 0),
    outputTokens: Number(r['output_tokens'] ?? 0),
    costUsd: Number(r['cost_usd'] ?? 0),
    model: str(r['model']),
  };
}

export function toGraphInfo(r: Row): GraphInfo {
  return {
    graphId: String(r['graph_id']),
    name: str(r['name']),
    latestVersion: Number(r['latest_version']),
    createdAt: String(r['created_at']),
    updatedAt: String(r['updated_at']),
  };
}

/** A version's number and whether it is a saved one (SQLite: 0/1, PostgreSQL: a boolean). */
export function toVersionOf(r: Row): { version: number; saved: boolean } {
  return { version: Number(r['version']), saved: r['saved'] === true || Number(r['saved']) === 1 };
}

/** A saved version's row, with its name, node count and runs (both stores select them under these names). */
export function toGraphVersion(r: Row): GraphVersionInfo {
  return {
    version: Number(r['version']),
    hash: String(r['hash']),
    createdAt: String(r['created_at']),
    name: str(r['name']),
    nodes: Number(r['nodes'] ?? 0),
    runs: Number(r['runs'] ?? 0),
  };
}
