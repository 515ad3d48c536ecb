/**
 * Projections: the queryable tables (runs, node_states, node_attempts, approvals,
 * stream_chunks) updated from each appended event, inside the append transaction.
 * Per event: one INSERT into `events` plus at most two prepared-statement runs here;
 * run-level counters and status are folded into one UPDATE per batch (`finishBatch`).
 */
import type Database from 'better-sqlite3';
import type { NewEvent } from '../../core/events.js';
import type { RunStatus } from '../../core/ports.js';

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

/** JSON for a nullable TEXT column; throws (and so rolls back) on unserializable data. */
export const toJson = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

const RUN_STATUS_OF: Partial<Record<NewEvent['type'], RunStatus>> = {
  'run.started': 'running',
  'run.paused': 'paused',
  'run.resumed': 'running',
  'run.waiting': 'waiting',
  'run.interrupted': 'interrupted',
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
  // A failed run whose node is retried runs again: `running`, so a crash during it is found.
  'run.retried': 'running',
};

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export class Projector {
  private readonly runStarted: Database.Statement;
  private readonly runFinished: Database.Statement;
  private readonly runRetried: Database.Statement;
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
    this.runFinished = db.prepare(
      `UPDATE runs SET result = @result, error = @error, error_node_id = @errorNode, finished_at = @ts,
         duration_ms = @duration, compensated = @compensated, compensation_failed = @compFailed
       WHERE run_id = @run`,
    );
    // As the fold does (state.ts): the failure and the end of before the retry are gone.
    this.runRetried = db.prepare(
      'UPDATE runs SET error = NULL, error_node_id = NULL, finished_at = NULL, duration_ms = NULL WHERE run_id = ?',
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

  /** Applies one event (already inserted into `events` with `seq`) to the projections. */
  apply(st: BatchState, seq: number, e: NewEvent): void {
    const run = st.runId;
    const ts = st.ts;
    const runStatus = RUN_STATUS_OF[e.type];
    if (runStatus) st.status = runStatus;
    switch (e.type) {
      case 'run.created':
      case 'run.paused':
      case 'run.resumed':
      case 'run.waiting':
      case 'run.interrupted':
      case 'node.log':
      case 'budget.exceeded':
      case 'agent.step': // usage of agent steps is summed into the agent's node.succeeded/failed
      case 'node.child':
        return;
      case 'child.finished':
        // What a child run spent counts in its parent's totals (and budget).
        st.inputTokens += num(e.data.usage?.inputTokens);
        st.outputTokens += num(e.data.usage?.outputTokens);
        st.costUsd += num(e.data.costUsd);
        return;
      case 'run.retried':
        this.runRetried.run(run);
        return;
      case 'run.started':
        if (st.startedAt === null) st.startedAt = ts;
        this.runStarted.run(ts, run);
        return;
      case 'run.succeeded':
      case 'run.failed':
      case 'run.cancelled': {
        const d = e.data as {
          result?: unknown;
          durationMs?: unknown;
          error?: unknown;
          nodeId?: string;
          compensated?: boolean;
          compensationFailed?: string[];
        };
        const duration =
          typeof d.durationMs === 'number'
            ? Math.round(d.durationMs)
            : Math.max(0, Date.parse(ts) - Date.parse(st.startedAt ?? st.createdAt));
        this.runFinished.run({
          run,
          ts,
          result: toJson(d.result),
          error: toJson(d.error),
          errorNode: d.nodeId ?? null,
          duration,
          compensated: d.compensated === undefined ? null : d.compensated ? 1 : 0,
          compFailed: toJson(d.compensationFailed),
        });
        return;
      }
    }

    const node = e.nodeId;
    if (node === undefined) return; // a node event without a node: nothing to project
    switch (e.type) {
      case 'node.queued':
        this.nodeSet.run({ run, node, status: 'queued', attempt: null, error: null, seq });
        return;
      case 'node.started': {
        const d = e.data;
        this.nodeStarted.run({
          run,
          node,
          attempt: d.attempt,
          detail: d.until === undefined ? null : toJson({ until: d.until }),
          ts,
          seq,
        });
        this.attemptStart.run(run, node, d.attempt, d.idempotencyKey ?? null, ts);
        return;
      }
      case 'node.tokens':
        this.chunk.run(run, node, e.data.attempt, seq, e.data.text);
        return;
      case 'node.retrying': {
        const error = toJson(e.data.error);
        // A failed attempt that still spent tokens (a reply that broke its schema) counts toward the run.
        st.inputTokens += num(e.data.usage?.inputTokens);
        st.outputTokens += num(e.data.usage?.outputTokens);
        st.costUsd += num(e.data.costUsd);
        this.nodeSet.run({ run, node, status: 'retrying', attempt: e.data.attempt, error, seq });
        this.attemptStop.run({ run, node, status: 'failed', error, ts });
        return;
      }
      case 'node.succeeded': {
        const d = e.data;
        const reused = d.reusedFrom !== undefined;
        const inTok = reused ? 0 : num(d.usage?.inputTokens);
        const outTok = reused ? 0 : num(d.usage?.outputTokens);
        const cost = reused ? 0 : num(d.costUsd);
        st.inputTokens += inTok;
        st.outputTokens += outTok;
        st.costUsd += cost;
        const detail = reused || d.resolved ? toJson({ reusedFrom: d.reusedFrom, resolved: d.resolved }) : null;
        this.nodeEnd.run({
          run,
          node,
          status: 'succeeded',
          attempt: d.attempt,
          output: toJson(d.output) ?? 'null',
          error: null,
          detail,
          ts,
          tokens: inTok + outTok,
          cost,
          seq,
        });
        this.attemptEnd.run({
          run,
          node,
          attempt: d.attempt,
          status: 'succeeded',
          ts,
          duration: Math.round(num(d.durationMs)),
          error: null,
          inTok,
          outTok,
          cost,
          model: d.model ?? null,
        });
        return;
      }
      case 'node.failed': {
        const d = e.data;
        const inTok = num(d.usage?.inputTokens);
        const outTok = num(d.usage?.outputTokens);
        const cost = num(d.costUsd);
        st.inputTokens += inTok;
        st.outputTokens += outTok;
        st.costUsd += cost;
        const error = toJson(d.error);
        this.nodeEnd.run({
          run,
          node,
          status: 'failed',
          attempt: d.attempt,
          output: null,
          error,
          detail: null,
          ts,
          tokens: inTok + outTok,
          cost,
          seq,
        });
        this.attemptEnd.run({
          run,
          node,
          attempt: d.attempt,
          status: 'failed',
          ts,
          duration: Math.round(num(d.durationMs)),
          error,
          inTok,
          outTok,
          cost,
          model: null,
        });
        return;
      }
      case 'node.skipped':
        this.nodeEnd.run({
          run,
          node,
          status: 'skipped',
          attempt: null,
          output: null,
          error: null,
          detail: toJson(e.data),
          ts,
          tokens: 0,
          cost: 0,
          seq,
        });
        return;
      case 'node.cancelled':
      case 'node.in-doubt': {
        const status = e.type === 'node.cancelled' ? 'cancelled' : 'in-doubt';
        const attempt = e.data.attempt ?? null;
        this.nodeSet.run({ run, node, status, attempt, error: null, seq });
        this.attemptStop.run({ run, node, status, error: null, ts });
        return;
      }
      case 'node.waiting':
        this.nodeSet.run({ run, node, status: 'waiting', attempt: e.data.attempt, error: null, seq });
        return;
      case 'approval.requested':
        this.approvalOpen.run(run, node, e.data.title, toJson(e.data.details), ts, seq);
        this.nodeSet.run({ run, node, status: 'waiting', attempt: null, error: null, seq });
        return;
      case 'approval.granted':
      case 'approval.rejected': {
        const d = e.data;
        const status = e.type === 'approval.granted' ? 'granted' : 'rejected';
        this.approvalDecide.run(status, ts, d.by ?? null, d.comment ?? null, toJson(d.data), run, node);
        return;
      }
      case 'compensation.started':
        this.compensation.run('running', null, seq, run, node);
        return;
      case 'compensation.succeeded':
        this.compensation.run('succeeded', null, seq, run, node);
        return;
      case 'compensation.failed':
        this.compensation.run(e.data.final ? 'failed' : 'running', toJson(e.data.error), seq, run, node);
        return;
    }
  }

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
