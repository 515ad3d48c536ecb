/**
 * Read side of the PostgreSQL store, with the row shapes of the SQLite one (queries.ts maps
 * both): run lists (filtered, sorted, paged, free text through the trigram index), one run's
 * row, node states and attempts, approvals, events, streamed text, stored graphs, and the
 * store-wide event cursor that tails every process's commits.
 */
import type pg from 'pg';
import { AppError } from '../../../core/errors.js';
import type { RunEvent } from '../../../core/events.js';
import type { Graph } from '../../../core/graph/schema.js';
import {
  addChildCounts,
  addDraftFlags,
  SORT_COLUMN,
  SUMMARY_COLUMNS,
  THEN_CREATED,
  isoTime,
  toApproval,
  toAttempt,
  toEvent,
  toGraphInfo,
  toGraphVersion,
  toNodeState,
  toVersionOf,
  toRunRow,
  toSummary,
} from '../queries.js';
import type {
  ApprovalRow,
  GraphInfo,
  GraphVersionInfo,
  ListRunsOptions,
  NodeAttemptRow,
  NodeStateRow,
  RunRow,
  RunSummary,
} from '../types.js';
import { pgError } from './errors.js';

export type Row = Record<string, unknown>;

/** LIKE pattern of a substring: `\`, `%` and `_` taken literally (backslash is LIKE's escape). */
const contains = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function where(opts: ListRunsOptions): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  // Top-level runs unless asked for every run or for the children of one.
  if (opts.parentRunId !== undefined) clauses.push(`parent_run_id = ${p(opts.parentRunId)}`);
  else if (opts.all !== true) clauses.push('parent_run_id IS NULL');
  const statuses = opts.status === undefined ? [] : Array.isArray(opts.status) ? opts.status : [opts.status];
  if (statuses.length > 0) {
    const inList = statuses.length === 1 ? `status = ${p(statuses[0])}` : `status = ANY(${p(statuses)}::text[])`;
    const dead = opts.interrupted ?? [];
    if (dead.length === 0) clauses.push(inList);
    else {
      // The runs a dead process left read `interrupted`: out of their row's status, in `interrupted`.
      const ids = p(dead);
      const also = statuses.includes('interrupted') ? ` OR run_id = ANY(${ids}::text[])` : '';
      clauses.push(`((${inList} AND run_id <> ALL(${ids}::text[]))${also})`);
    }
  }
  if (opts.graphId !== undefined) clauses.push(`graph_id = ${p(opts.graphId)}`);
  const text = opts.text?.trim() ?? '';
  if ([...text].length >= 3) {
    clauses.push(`run_id IN (SELECT run_id FROM statepipe.run_search WHERE text ILIKE ${p(contains(text))})`);
  } else if (text !== '') {
    const like = p(contains(text));
    clauses.push(`(run_id ILIKE ${like} OR graph_id ILIKE ${like})`);
  }
  if (opts.from !== undefined) clauses.push(`created_at >= ${p(isoTime(opts.from, 'from'))}::timestamptz`);
  if (opts.to !== undefined) clauses.push(`created_at < ${p(isoTime(opts.to, 'to'))}::timestamptz`);
  return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * The dashboard's query of `opts` (or its count): every sort is a walk of one index (schema.ts),
 * NULLs lowest as in SQLite, ties broken by creation time where the index has it, then run id.
 */
export function runsQuery(opts: ListRunsOptions, count = false): { text: string; params: unknown[] } {
  const { sql, params } = where(opts);
  if (count) return { text: `SELECT count(*) AS n FROM statepipe.runs${sql}`, params };
  const col = SORT_COLUMN[opts.sort ?? 'created'] ?? 'created_at';
  const dir = opts.order === 'asc' ? 'ASC NULLS FIRST' : 'DESC NULLS LAST';
  const limit = Math.max(0, Math.floor(opts.limit ?? 50));
  const offset = Math.max(0, Math.floor(opts.offset ?? 0));
  const then = THEN_CREATED.has(opts.sort ?? 'created') ? ` created_at ${dir},` : '';
  const n = params.length;
  return {
    text: `SELECT ${SUMMARY_COLUMNS} FROM statepipe.runs${sql} ORDER BY ${col} ${dir},${then} run_id ${dir} LIMIT $${n + 1} OFFSET $${n + 2}`,
    params: [...params, limit, offset],
  };
}

export class PgQueries {
  /** The passwords to mask in messages: not enumerable, so that logging the store never shows them. */
  declare protected readonly secrets: readonly string[];

  constructor(
    protected readonly pool: pg.Pool,
    /** The URL without its password. */
    readonly displayName: string,
    secrets: readonly string[],
  ) {
    Object.defineProperty(this, 'secrets', { value: secrets, enumerable: false });
  }

  /** Runs one statement; failures become one AppError line without the password. */
  protected async q(sql: string, params: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query(sql, params)).rows as Row[];
    } catch (err) {
      throw pgError(this.displayName, this.secrets, err);
    }
  }

  /** Runs matching the filter; newest first by default (NULLs sort as SQLite sorts them: lowest). */
  async listRuns(opts: ListRunsOptions = {}): Promise<RunSummary[]> {
    const { text, params } = runsQuery(opts);
    const runs = (await this.q(text, params)).map(toSummary);
    if (runs.length > 0) {
      const counts = await this.q(
        `SELECT parent_run_id AS parent, status, count(*) AS n FROM statepipe.runs
          WHERE parent_run_id = ANY($1::text[]) GROUP BY parent_run_id, status`,
        [runs.map((r) => r.runId)],
      );
      addChildCounts(runs, counts);
      const versions = await this.q(
        `SELECT v.graph_id, v.version, v.saved FROM statepipe.graph_versions v
          JOIN unnest($1::text[], $2::int[]) AS r(graph_id, version) USING (graph_id, version)`,
        [runs.map((r) => r.graphId), runs.map((r) => r.graphVersion)],
      );
      addDraftFlags(runs, versions);
    }
    return runs;
  }

  /** How many runs match the filter (limit/offset/sort ignored), for paging. */
  async countRuns(opts: ListRunsOptions = {}): Promise<number> {
    const { text, params } = runsQuery(opts, true);
    return Number((await this.q(text, params))[0]!['n']);
  }

  async getRunRow(runId: string): Promise<RunRow | undefined> {
    const [r] = await this.q('SELECT * FROM statepipe.runs WHERE run_id = $1', [runId]);
    return r ? toRunRow(r) : undefined;
  }

  async nodeStates(runId: string): Promise<NodeStateRow[]> {
    return (await this.q('SELECT * FROM statepipe.node_states WHERE run_id = $1 ORDER BY updated_seq', [runId])).map(
      toNodeState,
    );
  }

  async nodeAttempts(runId: string, nodeId?: string): Promise<NodeAttemptRow[]> {
    const rows =
      nodeId === undefined
        ? await this.q(
            'SELECT * FROM statepipe.node_attempts WHERE run_id = $1 ORDER BY started_at NULLS FIRST, node_id, attempt',
            [runId],
          )
        : await this.q('SELECT * FROM statepipe.node_attempts WHERE run_id = $1 AND node_id = $2 ORDER BY attempt', [
            runId,
            nodeId,
          ]);
    return rows.map(toAttempt);
  }

  async openApprovals(runId?: string): Promise<ApprovalRow[]> {
    const rows =
      runId === undefined
        ? await this.q("SELECT * FROM statepipe.approvals WHERE status = 'open' ORDER BY requested_at, id")
        : await this.q("SELECT * FROM statepipe.approvals WHERE run_id = $1 AND status = 'open' ORDER BY id", [runId]);
    return rows.map(toApproval);
  }

  async approvals(runId: string): Promise<ApprovalRow[]> {
    return (await this.q('SELECT * FROM statepipe.approvals WHERE run_id = $1 ORDER BY id', [runId])).map(toApproval);
  }

  async eventsSince(runId: string, afterSeq: number, limit?: number): Promise<RunEvent[]> {
    const rows =
      limit === undefined
        ? await this.q('SELECT * FROM statepipe.events WHERE run_id = $1 AND seq > $2 ORDER BY seq', [runId, afterSeq])
        : await this.q('SELECT * FROM statepipe.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
            runId,
            afterSeq,
            Math.max(0, Math.floor(limit)),
          ]);
    return rows.map(toEvent);
  }

  /**
   * The log of every run in commit order, from any process. Ids handed out in one order can
   * commit in another, so the cursor is a transaction id: only events of transactions older than
   * the current snapshot's xmin are handed out (every one of those has ended, so no event can
   * still appear below the cursor), ordered by transaction, and a transaction's events are never
   * split between two answers. A transaction still open holds back the events of later ones
   * until it ends.
   */
  async eventsAfterCursor(cursor: number, limit: number): Promise<{ cursor: number; events: RunEvent[] }> {
    const n = Math.max(1, Math.floor(limit));
    let rows = await this.q(
      `SELECT * FROM statepipe.events
        WHERE xid > $1 AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
        ORDER BY xid, run_id, seq LIMIT $2`,
      [cursor, n],
    );
    if (rows.length === n) {
      const last = Number(rows[n - 1]!['xid']);
      const whole = rows.filter((r) => Number(r['xid']) !== last);
      // One transaction larger than the limit comes whole; otherwise the cut one waits for the next call.
      rows =
        whole.length > 0
          ? whole
          : await this.q('SELECT * FROM statepipe.events WHERE xid = $1 ORDER BY run_id, seq', [last]);
    }
    const tail = rows.at(-1);
    return { cursor: tail ? Number(tail['xid']) : cursor, events: rows.map(toEvent) };
  }

  /** A cursor below every event a transaction not yet ended may still commit. */
  async maxEventCursor(): Promise<number> {
    const [r] = await this.q('SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1 AS c');
    return Number(r!['c']);
  }

  async streamedText(runId: string, nodeId: string, attempt?: number): Promise<string> {
    const [r] =
      attempt === undefined
        ? await this.q(
            "SELECT coalesce(string_agg(text, '' ORDER BY attempt, seq), '') AS t FROM statepipe.stream_chunks WHERE run_id = $1 AND node_id = $2",
            [runId, nodeId],
          )
        : await this.q(
            "SELECT coalesce(string_agg(text, '' ORDER BY seq), '') AS t FROM statepipe.stream_chunks WHERE run_id = $1 AND node_id = $2 AND attempt = $3",
            [runId, nodeId, attempt],
          );
    return String(r!['t']);
  }

  async getGraph(graphId: string, version?: number): Promise<Graph> {
    const [r] =
      version === undefined
        ? await this.q(
            'SELECT v.json FROM statepipe.graphs g JOIN statepipe.graph_versions v ON v.graph_id = g.graph_id AND v.version = g.latest_version WHERE g.graph_id = $1',
            [graphId],
          )
        : await this.q('SELECT json FROM statepipe.graph_versions WHERE graph_id = $1 AND version = $2', [
            graphId,
            version,
          ]);
    if (!r) {
      throw new AppError(
        'not-found',
        version === undefined ? `graph ${graphId} not found` : `graph ${graphId} version ${version} not found`,
      );
    }
    return JSON.parse(String(r['json'])) as Graph;
  }

  /** The saved versions of a graph, newest first (as SQLite's graphVersions). */
  async graphVersions(graphId: string): Promise<GraphVersionInfo[]> {
    return (
      await this.q(
        `SELECT v.version, v.hash, v.created_at, v.json::json->>'name' AS name,
           json_array_length(v.json::json->'nodes') AS nodes,
           (SELECT count(*) FROM statepipe.runs r WHERE r.graph_id = v.graph_id AND r.graph_version = v.version) AS runs
         FROM statepipe.graph_versions v WHERE v.graph_id = $1 AND v.saved ORDER BY v.version DESC`,
        [graphId],
      )
    ).map(toGraphVersion);
  }

  async graphVersionOf(graphId: string, version?: number): Promise<{ version: number; saved: boolean } | null> {
    const [r] =
      version === undefined
        ? await this.q(
            `SELECT v.version, v.saved FROM statepipe.graphs g
               JOIN statepipe.graph_versions v ON v.graph_id = g.graph_id AND v.version = g.latest_version
             WHERE g.graph_id = $1`,
            [graphId],
          )
        : await this.q('SELECT version, saved FROM statepipe.graph_versions WHERE graph_id = $1 AND version = $2', [
            graphId,
            version,
          ]);
    return r ? toVersionOf(r) : null;
  }

  /** Graphs with a saved version; `includeDrafts`: also those only run as drafts (as SQLite's listGraphs). */
  async listGraphs(opts: { includeDrafts?: boolean } = {}): Promise<GraphInfo[]> {
    const where = opts.includeDrafts
      ? ''
      : ' WHERE EXISTS (SELECT 1 FROM statepipe.graph_versions v WHERE v.graph_id = g.graph_id AND v.saved)';
    return (await this.q(`SELECT * FROM statepipe.graphs g${where} ORDER BY updated_at DESC, graph_id`)).map(
      toGraphInfo,
    );
  }
}
