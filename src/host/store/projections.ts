/**
 * Projections on SQLite: the queryable tables (runs, approvals, stream_chunks) updated from each
 * appended event, inside the append transaction, as projection-plan.ts says; run-level counters
 * and status are folded into one UPDATE per batch (`finishBatch`). Node states and attempts are
 * not kept in tables here: they are folded from the run's events when read (node-rows.ts), so the
 * commit of a node's end and the next node's start writes its events and the run's row only.
 */
import type Database from 'better-sqlite3';
import type { NewEvent } from '../../core/events.js';
import type { RunStatus } from '../../core/ports.js';
import { projectEvent, type ProjectionSink, type RunEnd } from './projection-plan.js';

export { toJson } from './projection-plan.js';

const unused = (): never => {
  throw new Error('node rows are not written on SQLite');
};

/** What one append batch accumulates before its single `runs` update. */
export interface BatchState {
  runId: string;
  ts: string;
  status: RunStatus;
  /** The status before the batch: `runs.status` (an indexed column) is written only if it changed. */
  initialStatus: RunStatus;
  createdAt: string;
  startedAt: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export class Projector {
  private readonly runStarted: Database.Statement;
  private readonly runRetried: Database.Statement;
  private readonly runFinished: Database.Statement;
  private readonly batchEnd: Database.Statement;
  private readonly batchStatus: Database.Statement;
  private readonly chunk: Database.Statement;
  private readonly approvalOpen: Database.Statement;
  private readonly approvalDecide: Database.Statement;

  constructor(db: Database.Database) {
    this.runStarted = db.prepare('UPDATE runs SET started_at = COALESCE(started_at, ?) WHERE run_id = ?');
    this.runRetried = db.prepare(
      'UPDATE runs SET error = NULL, error_node_id = NULL, finished_at = NULL, duration_ms = NULL WHERE run_id = ?',
    );
    this.runFinished = db.prepare(
      `UPDATE runs SET result = @result, error = @error, error_node_id = @errorNode, finished_at = @ts,
         duration_ms = @duration, compensated = @compensated, compensation_failed = @compFailed
       WHERE run_id = @run`,
    );
    this.batchEnd = db.prepare(
      `UPDATE runs SET status = ?, tokens = tokens + ?, input_tokens = input_tokens + ?,
         output_tokens = output_tokens + ?, cost_usd = cost_usd + ?
       WHERE run_id = ?`,
    );
    this.batchStatus = db.prepare('UPDATE runs SET status = ? WHERE run_id = ?');
    this.chunk = db.prepare('INSERT INTO stream_chunks (run_id, node_id, attempt, seq, text) VALUES (?, ?, ?, ?, ?)');
    this.approvalOpen = db.prepare(
      `INSERT INTO approvals (run_id, node_id, status, title, details, requested_at, requested_seq)
       VALUES (?, ?, 'open', ?, ?, ?, ?)`,
    );
    this.approvalDecide = db.prepare(
      `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, comment = ?, data = ?
       WHERE run_id = ? AND node_id = ? AND status = 'open'`,
    );
  }

  /** The batch being applied (set by `apply`). */
  private st!: BatchState;

  /** Applies one event (already inserted into `events` with `seq`) to the projections. */
  apply(st: BatchState, seq: number, e: NewEvent): void {
    this.st = st;
    projectEvent(seq, e, this.sink);
  }

  private readonly sink: ProjectionSink = {
    // Node rows are folded from the events when read (node-rows.ts): none are written.
    nodeRows: false,
    nodeSet: unused,
    nodeStarted: unused,
    nodeEnd: unused,
    attemptEnd: unused,
    attemptStop: unused,
    compensation: unused,
    status: (status: RunStatus) => {
      this.st.status = status;
    },
    usage: (inTok: number, outTok: number, cost: number) => {
      this.st.inputTokens += inTok;
      this.st.outputTokens += outTok;
      this.st.costUsd += cost;
    },
    runStarted: () => {
      const st = this.st;
      if (st.startedAt === null) st.startedAt = st.ts;
      this.runStarted.run(st.ts, st.runId);
    },
    runRetried: () => {
      this.runRetried.run(this.st.runId);
    },
    runEnded: (end: RunEnd) => {
      const st = this.st;
      const duration = end.durationMs ?? Math.max(0, Date.parse(st.ts) - Date.parse(st.startedAt ?? st.createdAt));
      this.runFinished.run({
        run: st.runId,
        ts: st.ts,
        result: end.result,
        error: end.error,
        errorNode: end.nodeId,
        duration,
        compensated: end.compensated === undefined ? null : end.compensated ? 1 : 0,
        compFailed: end.compensationFailed,
      });
    },
    chunk: (node, attempt, seq, text) => {
      this.chunk.run(this.st.runId, node, attempt, seq, text);
    },
    approvalOpen: (node, title, details, seq) => {
      this.approvalOpen.run(this.st.runId, node, title, details, this.st.ts, seq);
    },
    approvalDecide: (node, status, by, comment, data) => {
      this.approvalDecide.run(status, this.st.ts, by, comment, data, this.st.runId, node);
    },
  };

  /**
   * The one `runs` update of a batch, only when it changes the row: its status or the summed
   * usage. A batch of node events alone (most of them) writes no `runs` page at all: every page
   * a commit touches is one more page written to the WAL and synced.
   */
  finishBatch(st: BatchState): void {
    if (st.inputTokens !== 0 || st.outputTokens !== 0 || st.costUsd !== 0) {
      this.batchEnd.run(
        st.status,
        st.inputTokens + st.outputTokens,
        st.inputTokens,
        st.outputTokens,
        st.costUsd,
        st.runId,
      );
    } else if (st.status !== st.initialStatus) {
      this.batchStatus.run(st.status, st.runId);
    }
  }
}
