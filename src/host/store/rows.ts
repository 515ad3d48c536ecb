/**
 * Rows of the runs table and its neighbours as the stores return them: the columns a run list
 * reads, its sort columns and time bounds, and the row-to-object mappers, shared by SQLite
 * (queries.ts, run-list.ts) and PostgreSQL (pg/pg-queries.ts, pg/pg-store.ts).
 */
import { AppError } from '../../core/errors.js';
import type { RunEvent } from '../../core/events.js';
import type { ControlRequest, RunStatus } from '../../core/ports.js';
import type {
  ApprovalRow,
  GraphInfo,
  GraphVersionInfo,
  NodeAttemptRow,
  NodeStateRow,
  RunRow,
  RunSort,
  RunSummary,
} from './types.js';

export type Row = Record<string, unknown>;

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

/** Ties broken by creation time (runs_by_status and runs_by_graph continue with created_at), then run id. */
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

/**
 * Sets `draft` on the top-level runs whose graph version is not a saved one, from rows of
 * `graph_id`, `version` and `saved` (the versions of the page's runs) of either store. A child
 * run's graph may be one its parent's file carries (never saved on its own): no draft for that.
 */
export function addDraftFlags(runs: RunSummary[], versions: readonly Row[]): void {
  const unsaved = new Set(
    versions.filter((v) => !isSaved(v)).map((v) => `${String(v['graph_id'])}\n${Number(v['version'])}`),
  );
  if (unsaved.size === 0) return;
  for (const run of runs) if (!run.parent && unsaved.has(`${run.graphId}\n${run.graphVersion}`)) run.draft = true;
}

export function toEvent(r: Row): RunEvent {
  const e: Record<string, unknown> = { seq: Number(r['seq']), runId: r['run_id'], ts: r['ts'], type: r['type'] };
  if (r['node_id'] != null) e['nodeId'] = r['node_id'];
  e['data'] = parseJson(r['data']) ?? {};
  return e as unknown as RunEvent;
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

/** A version's number and whether it is a saved one (SQLite: 0/1, PostgreSQL: a boolean). */
export function toVersionOf(r: Row): { version: number; saved: boolean } {
  return { version: Number(r['version']), saved: isSaved(r) };
}

/** A graph version row's `saved` (SQLite 0/1, PostgreSQL boolean). */
const isSaved = (r: Row): boolean => r['saved'] === true || Number(r['saved']) === 1;

/** A control request's kind as stored (`controls.kind`, checked by the table). */
export const controlKind = (kind: unknown): ControlRequest['kind'] =>
  kind === 'cancel' ? 'cancel' : kind === 'resume' ? 'resume' : 'pause';
