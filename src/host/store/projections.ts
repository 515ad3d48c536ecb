/**
 * Projections on SQLite: the queryable tables (runs, node_states, node_attempts, approvals,
 * stream_chunks) updated from each appended event, inside the append transaction, as
 * projection-plan.ts says. Per event: one INSERT into `events` plus at most two prepared-statement
 * runs here; run-level counters and status are folded into one UPDATE per batch (`finishBatch`).
 */
import type Database from 'better-sqlite3';
import type { NewEvent } from '../../core/events.js';
import type { NodeStatus, RunStatus } from '../../core/ports.js';
import { projectEvent, type ProjectionSink, type RunEnd } from './projection-plan.js';

export { toJson } from './projection-plan.js';

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
  private readonly batchSeq: Database.Statement;
  private readonly nodeSet: Database.Statement;
  private readonly nodeStarted: Database.Statement;
  private readonly nodeEnd: Database.Statement;
  private readonly attemptStart: Database.Statement;
  private readonly attemptEnd: Database.Statement;
  private readonly attemptStop: Database.Statement;
  private readonly chunk: Database.Statement;
  private readonly approvalOpen: Database.Statement;
  private readonly approvalDecide: Database.Statement;
  private readonly compensation: Database.Statement;

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
      `UPDATE runs SET last_seq = ?, status = ?, tokens = tokens + ?, input_tokens = input_tokens + ?,
         output_tokens = output_tokens + ?, cost_usd = cost_usd + ?
       WHERE run_id = ?`,
    );
    this.batchStatus = db.prepare('UPDATE runs SET last_seq = ?, status = ? WHERE run_id = ?');
    this.batchSeq = db.prepare('UPDATE runs SET last_seq = ? WHERE run_id = ?');
    this.nodeSet = db.prepare(
      `INSERT INTO node_states (run_id, node_id, status, attempt, updated_seq)
       VALUES (@run, @node, @status, COALESCE(@attempt, 0), @seq)
       ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status,
         attempt = COALESCE(@attempt, attempt), error = COALESCE(@error, error), updated_seq = excluded.updated_seq`,
    );
    this.nodeStarted = db.prepare(
      `INSERT INTO node_states (run_id, node_id, status, attempt, detail, started_at, updated_seq)
       VALUES (@run, @node, 'running', @attempt, @detail, @ts, @seq)
       ON CONFLICT (run_id, node_id) DO UPDATE SET status = 'running', attempt = excluded.attempt,
         detail = excluded.detail, started_at = COALESCE(started_at, excluded.started_at),
         finished_at = NULL, updated_seq = excluded.updated_seq`,
    );
    this.nodeEnd = db.prepare(
      `INSERT INTO node_states (run_id, node_id, status, attempt, output, error, detail, finished_at, tokens, cost_usd, updated_seq)
       VALUES (@run, @node, @status, COALESCE(@attempt, 0), @output, @error, @detail, @ts, @tokens, @cost, @seq)
       ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempt = COALESCE(@attempt, attempt),
         output = excluded.output, error = excluded.error, detail = COALESCE(excluded.detail, detail),
         finished_at = excluded.finished_at, tokens = tokens + excluded.tokens,
         cost_usd = cost_usd + excluded.cost_usd, updated_seq = excluded.updated_seq`,
    );
    this.attemptStart = db.prepare(
      `INSERT INTO node_attempts (run_id, node_id, attempt, status, idempotency_key, started_at)
       VALUES (?, ?, ?, 'running', ?, ?)
       ON CONFLICT (run_id, node_id, attempt) DO UPDATE SET status = 'running', finished_at = NULL,
         duration_ms = NULL, error = NULL`,
    );
    this.attemptEnd = db.prepare(
      `INSERT INTO node_attempts (run_id, node_id, attempt, status, finished_at, duration_ms, error,
         input_tokens, output_tokens, cost_usd, model)
       VALUES (@run, @node, @attempt, @status, @ts, @duration, @error, @inTok, @outTok, @cost, @model)
       ON CONFLICT (run_id, node_id, attempt) DO UPDATE SET status = excluded.status,
         finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, error = excluded.error,
         input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
         cost_usd = excluded.cost_usd, model = COALESCE(excluded.model, model)`,
    );
    // Ends whatever attempt of the node is still running (retrying, cancelled, in-doubt).
    this.attemptStop = db.prepare(
      `UPDATE node_attempts SET status = @status, error = COALESCE(@error, error), finished_at = @ts,
         duration_ms = CAST(ROUND((julianday(@ts) - julianday(started_at)) * 86400000) AS INTEGER)
       WHERE run_id = @run AND node_id = @node AND status = 'running'`,
    );
    this.chunk = db.prepare('INSERT INTO stream_chunks (run_id, node_id, attempt, seq, text) VALUES (?, ?, ?, ?, ?)');
    this.approvalOpen = db.prepare(
      `INSERT INTO approvals (run_id, node_id, status, title, details, requested_at, requested_seq)
       VALUES (?, ?, 'open', ?, ?, ?, ?)`,
    );
    this.approvalDecide = db.prepare(
      `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, comment = ?, data = ?
       WHERE run_id = ? AND node_id = ? AND status = 'open'`,
    );
    this.compensation = db.prepare(
      `UPDATE node_states SET compensation = ?, compensation_error = COALESCE(?, compensation_error), updated_seq = ?
       WHERE run_id = ? AND node_id = ?`,
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
    nodeSet: (node: string, status: NodeStatus, attempt: number | null, error: string | null, seq: number) => {
      this.nodeSet.run({ run: this.st.runId, node, status, attempt, error, seq });
    },
    nodeStarted: (node: string, attempt: number, detail: string | null, key: string | null, seq: number) => {
      const { runId: run, ts } = this.st;
      this.nodeStarted.run({ run, node, attempt, detail, ts, seq });
      this.attemptStart.run(run, node, attempt, key, ts);
    },
    nodeEnd: (node, status, attempt, output, error, detail, tokens, cost, seq) => {
      const { runId: run, ts } = this.st;
      this.nodeEnd.run({ run, node, status, attempt, output, error, detail, ts, tokens, cost, seq });
    },
    attemptEnd: (node, attempt, status, duration, error, inTok, outTok, cost, model) => {
      const { runId: run, ts } = this.st;
      this.attemptEnd.run({ run, node, attempt, status, ts, duration, error, inTok, outTok, cost, model });
    },
    attemptStop: (node, status, error) => {
      this.attemptStop.run({ run: this.st.runId, node, status, error, ts: this.st.ts });
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
    compensation: (node, state, error, seq) => {
      this.compensation.run(state, error, seq, this.st.runId, node);
    },
  };

  /**
   * The one `runs` update of a batch: last seq, status and the summed usage. Indexed columns
   * (status, tokens, cost) are written only when they change: every page a commit touches is
   * one more page written to the WAL, so the common batch (tokens, logs) touches just the row.
   */
  finishBatch(st: BatchState, lastSeq: number): void {
    if (st.inputTokens !== 0 || st.outputTokens !== 0 || st.costUsd !== 0) {
      this.batchEnd.run(
        lastSeq,
        st.status,
        st.inputTokens + st.outputTokens,
        st.inputTokens,
        st.outputTokens,
        st.costUsd,
        st.runId,
      );
    } else if (st.status !== st.initialStatus) {
      this.batchStatus.run(lastSeq, st.status, st.runId);
    } else {
      this.batchSeq.run(lastSeq, st.runId);
    }
  }
}
