/**
 * What the host needs of a database: the engine's RunStore port plus the read side for the CLI,
 * the studio and the HTTP API (run lists, node states, approvals, events, graphs), idempotent
 * run starts and crash recovery. SQLite (one file, the default) and PostgreSQL (shared by many
 * workers) implement it; both pass the same contract tests (store-contract.ts).
 */
import type { RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import type { RunId } from '../../core/ids.js';
import type { Lease, RunStore } from '../../core/ports.js';
import type {
  ApprovalRow,
  GraphInfo,
  GraphVersionInfo,
  ListRunsOptions,
  NodeAttemptRow,
  NodeStateRow,
  RecoverableRun,
  RecoverAmong,
  RunRow,
  RunSummary,
  SavedGraph,
} from './types.js';

export interface Store extends RunStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The database as a person may see it: a file path, or a URL without its password. */
  readonly displayName: string;

  /**
   * Stores a graph version (`canonicalJson` is its file) as a saved one and makes it the graph's
   * latest. A run's snapshot (createRun) is a version too, but not a saved one: it never becomes
   * the latest and stays out of graphVersions and listGraphs (a draft run from the studio).
   */
  saveGraph(graph: Graph, canonicalJson: string): Promise<SavedGraph>;
  /** A stored graph: the latest saved version by default. Throws AppError('not-found'). */
  getGraph(graphId: string, version?: number): Promise<Graph>;
  /** The saved versions of a graph, newest first. */
  graphVersions(graphId: string): Promise<GraphVersionInfo[]>;
  /** A version's number and whether it is a saved one (`version` omitted: the graph's latest); null if none. */
  graphVersionOf(graphId: string, version?: number): Promise<{ version: number; saved: boolean } | null>;
  /** Graphs with a saved version, most recently updated first; `includeDrafts`: also those only run as drafts. */
  listGraphs(opts?: { includeDrafts?: boolean }): Promise<GraphInfo[]>;

  listRuns(opts?: ListRunsOptions): Promise<RunSummary[]>;
  countRuns(opts?: ListRunsOptions): Promise<number>;
  getRunRow(runId: string): Promise<RunRow | undefined>;
  nodeStates(runId: string): Promise<NodeStateRow[]>;
  nodeAttempts(runId: string, nodeId?: string): Promise<NodeAttemptRow[]>;
  openApprovals(runId?: string): Promise<ApprovalRow[]>;
  approvals(runId: string): Promise<ApprovalRow[]>;
  eventsSince(runId: string, afterSeq: number, limit?: number): Promise<RunEvent[]>;
  /** Events of every run committed after a store-wide cursor (for live views of other processes' runs). */
  eventsAfterCursor(cursor: number, limit: number): Promise<{ cursor: number; events: RunEvent[] }>;
  maxEventCursor(): Promise<number>;
  streamedText(runId: string, nodeId: string, attempt?: number): Promise<string>;

  /**
   * Runs a crashed process left behind: running with no live owner, or whose lease expired. With
   * `among`, only those of `runIds` and the children of `parentRunIds` (what a page of runs shows).
   */
  findRunsToRecover(among?: RecoverAmong): Promise<RecoverableRun[]>;
  /**
   * Of `runIds`, those ever queued for workers (PostgreSQL's run queue, docs/scale-out.md
   * "Workers"): whoever drove them, the workers' reaper takes them over when their driver dies,
   * not a dead-run marker. Absent (SQLite): no run is.
   */
  queuedForWorkers?(runIds: readonly string[]): Promise<Set<string>>;
  /**
   * Releases the lease and leaves the run to the workers in one write (PostgreSQL: a started run
   * reads `queued` until one takes it, docs/scale-out.md "Draining"). Absent (SQLite): no workers.
   */
  releaseToWorkers?(runId: RunId, lease: Lease): Promise<void>;
  /**
   * Calls `fn` with the id of each run whose status changes without an event, in any process (a
   * run handed to the workers reads `queued`, then `running` once one takes it), so that live views
   * show it at once. Absent (SQLite): every change of status has its event.
   */
  watchRunStatus?(fn: (runId: string) => void): () => void;
  close(): Promise<void>;
}
