/** Row shapes the store returns to the CLI and the studio. JSON columns come back parsed. */
import type { NodeError } from '../../core/errors.js';
import type { NodeStatus, RunStatus } from '../../core/ports.js';

export interface OpenOptions {
  /** Open without writing anything; the file must exist and be at the current schema. */
  readonly?: boolean;
  /**
   * The caller only reads (list, inspect, export): when the disk is too full to open the file
   * the usual way (SQLite cannot grow its -shm file), it is opened for reading alone, with the
   * WAL index in memory. Nothing is written; other processes' writes wait while it is open.
   * A file that does not exist is not created: opening fails, naming it.
   */
  forReading?: boolean;
  /** `FULL` (default) survives power loss; `NORMAL` survives process crashes only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Path of a better-sqlite3 native addon built for another ABI (Electron). */
  nativeBinding?: string;
  /** How long an acquired lease lasts before another process may take the run (default 30 s). */
  leaseMs?: number;
  /** SQLite busy timeout in ms (default 5000). */
  busyTimeoutMs?: number;
}

export type RunSort = 'created' | 'started' | 'cost' | 'tokens' | 'duration' | 'status' | 'graph';

export interface ListRunsOptions {
  status?: RunStatus | RunStatus[];
  graphId?: string;
  limit?: number;
  offset?: number;
  sort?: RunSort;
  order?: 'asc' | 'desc';
  /**
   * Substring (case-insensitive) of the run id, graph id, input, result or error; 3+ characters
   * use the trigram index (runs_search), shorter text matches the run and graph ids only.
   */
  text?: string;
  /** Created at or after this time (ISO-8601). */
  from?: string;
  /** Created before this time (ISO-8601, exclusive). */
  to?: string;
  /** The child runs of this run (its subgraph, map and loop nodes'). */
  parentRunId?: string;
  /** Every run, child runs too (default: top-level runs only). */
  all?: boolean;
  /**
   * Runs read as `interrupted` whatever their row says (their driving process died: the host's
   * shown-status.ts): a status filter takes them for `interrupted`, not for their row's `running`
   * or `queued`.
   */
  interrupted?: readonly string[];
}

export interface RunSummary {
  runId: string;
  graphId: string;
  graphVersion: number;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  tokens: number;
  costUsd: number;
  /** A child run: the run and node that started it, and its key there. */
  parent?: { runId: string; nodeId: string; key: number };
  /** Its child runs (subgraph, map, loop) by status, when it has any. */
  children?: Partial<Record<RunStatus, number>>;
  /**
   * In lists: true when a top-level run's graph version is not a saved one (a draft run from the
   * studio: unsaved edits; a run the CLI starts saves its graph first), until that content is
   * saved; absent otherwise (child runs: their graph may be one of the parent file's library).
   */
  draft?: true;
}

export interface RunRow extends RunSummary {
  graphHash: string;
  input: unknown;
  result: unknown;
  error: NodeError | null;
  errorNodeId: string | null;
  inputTokens: number;
  outputTokens: number;
  lastSeq: number;
  ownerId: string | null;
  ownerPid: number | null;
  ownerHost: string | null;
  leaseExpiresAt: number | null;
  /** A child run: the run and node that started it, and its key there (a map item, a loop iteration). */
  parentRunId: string | null;
  parentNodeId: string | null;
  childKey: number | null;
  /** A rerun: the run whose outputs it copied, and the node it reran from. */
  rerunOf: string | null;
  rerunFromNode: string | null;
  compensated: boolean | null;
  compensationFailed: string[] | null;
}

export interface NodeStateRow {
  nodeId: string;
  status: NodeStatus;
  attempt: number;
  output: unknown;
  error: NodeError | null;
  /** skipped: `{ reason, source? }`; succeeded: `{ reusedFrom?, resolved? }`; delay: `{ until }`. */
  detail: Record<string, unknown> | null;
  startedAt: string | null;
  finishedAt: string | null;
  tokens: number;
  costUsd: number;
  /** `running` | `succeeded` | `failed` once a compensation began. */
  compensation: 'running' | 'succeeded' | 'failed' | null;
  compensationError: NodeError | null;
  updatedSeq: number;
}

export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'in-doubt';

export interface NodeAttemptRow {
  nodeId: string;
  attempt: number;
  status: AttemptStatus;
  idempotencyKey: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: NodeError | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  model: string | null;
}

export interface ApprovalRow {
  id: number;
  runId: string;
  nodeId: string;
  status: 'open' | 'granted' | 'rejected';
  title: string;
  details: unknown;
  requestedAt: string;
  requestedSeq: number;
  decidedAt: string | null;
  by: string | null;
  comment: string | null;
  data: unknown;
}

export interface SavedGraph {
  graphId: string;
  version: number;
  hash: string;
}

export interface GraphVersionInfo {
  version: number;
  hash: string;
  createdAt: string;
  /** The graph's name in that version. */
  name: string | null;
  nodes: number;
  /** Runs of exactly this version. */
  runs: number;
}

export interface GraphInfo {
  graphId: string;
  name: string | null;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** Where findRunsToRecover looks when not at every run: these runs, and these runs' children. */
export interface RecoverAmong {
  runIds?: readonly string[];
  parentRunIds?: readonly string[];
}

export interface RecoverableRun extends RunSummary {
  ownerId: string | null;
  ownerPid: number | null;
  leaseExpiresAt: number | null;
}
