/**
 * One append (or run creation) as ONE query: the fence and the run's head first, then the events
 * and the projections (node_states, node_attempts, approvals, stream_chunks, the run's end), with
 * the meaning of projections.ts. Sent with the simple protocol, the statements run as one
 * implicit transaction: the fence raising, or any statement failing, rolls back all of it.
 */
import type { NewEvent } from '../../../core/events.js';
import type { Fence, RunStatus } from '../../../core/ports.js';
import { RUN_STATUS_OF } from '../projections.js';
import { bool, float, int, json, text, time, type Sql } from './literals.js';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The run-level sums of a batch, applied to the run's row by its head statement. */
interface Head {
  status: RunStatus | undefined;
  started: boolean;
  inTok: number;
  outTok: number;
  cost: number;
}

/** The `runs` row of a new run, written in the same query as its first events. */
export interface NewRunRow {
  graphId: string;
  graphName: string | null;
  graphHash: string;
  graphJson: string;
  input: unknown;
  parentRunId: string | null;
  rerunFromNode: string | null;
  idempotencyKey: string | undefined;
}

export class Batch {
  private readonly head: Head = { status: undefined, started: false, inTok: 0, outTok: 0, cost: 0 };
  private readonly body: Sql[] = [];
  private readonly chunks: Sql[] = [];
  private readonly r: Sql;
  private readonly ts: Sql;

  constructor(
    private readonly runId: string,
    private readonly iso: string,
    private readonly firstSeq: number,
    private readonly events: readonly NewEvent[],
  ) {
    this.r = text(runId);
    this.ts = time(iso);
    let seq = firstSeq;
    for (const e of events) this.project(seq++, e);
  }

  /** An append: fenced by the lease epoch and the seq it follows. */
  appendSql(fence: Fence): Sql {
    const h = this.head;
    const last = this.firstSeq + this.events.length - 1;
    const advance =
      `SELECT statepipe.advance(${this.r}, ${int(fence.epoch)}, ${int(fence.afterSeq)}, ${int(last)}, ` +
      `${text(h.status ?? null)}, ${int(h.inTok)}, ${int(h.outTok)}, ${float(h.cost)}, ${h.started ? this.ts : 'NULL'})`;
    return this.join(advance);
  }

  /** A new run: its row (graph version resolved in the same transaction), key and first events. */
  createSql(run: NewRunRow): Sql {
    const h = this.head;
    const version = `statepipe.graph_version(${text(run.graphId)}, ${text(run.graphName)}, ${text(run.graphHash)}, ${text(run.graphJson)}, ${this.ts}, false)`;
    const insert =
      `INSERT INTO statepipe.runs (run_id, graph_id, graph_version, graph_hash, status, input, created_at, started_at,` +
      ` parent_run_id, rerun_from_node, last_seq, tokens, input_tokens, output_tokens, cost_usd) VALUES (` +
      `${this.r}, ${text(run.graphId)}, ${version}, ${text(run.graphHash)}, ${text(h.status ?? 'queued')}, ` +
      `${json(run.input)}, ${this.ts}, ${h.started ? this.ts : 'NULL'}, ${text(run.parentRunId)}, ` +
      `${text(run.rerunFromNode)}, ${int(this.firstSeq + this.events.length - 1)}, ${int(h.inTok + h.outTok)}, ` +
      `${int(h.inTok)}, ${int(h.outTok)}, ${float(h.cost)})`;
    const key =
      run.idempotencyKey === undefined
        ? []
        : [
            `INSERT INTO statepipe.run_keys (key, run_id, created_at) VALUES (${text(run.idempotencyKey)}, ${this.r}, ${this.ts})`,
          ];
    return this.join(insert, ...key);
  }

  private join(...first: Sql[]): Sql {
    const rows = this.events.map(
      (e, i) =>
        `(${this.r}, ${int(this.firstSeq + i)}, ${this.ts}, ${text(e.type)}, ${text(e.nodeId ?? null)}, ${json(e.data ?? {})})`,
    );
    const statements = [...first];
    if (rows.length > 0)
      statements.push(`INSERT INTO statepipe.events (run_id, seq, ts, type, node_id, data) VALUES ${rows.join(', ')}`);
    statements.push(...this.body);
    if (this.chunks.length > 0)
      statements.push(
        `INSERT INTO statepipe.stream_chunks (run_id, node_id, attempt, seq, text) VALUES ${this.chunks.join(', ')}`,
      );
    return statements.join(';\n');
  }

  private project(seq: number, e: NewEvent): void {
    const h = this.head;
    const status = RUN_STATUS_OF[e.type];
    if (status) h.status = status;
    switch (e.type) {
      case 'run.created':
      case 'run.paused':
      case 'run.resumed':
      case 'run.waiting':
      case 'run.interrupted':
      case 'node.log':
      case 'budget.exceeded':
      case 'agent.step': // usage of agent steps is summed into the agent's node.succeeded/failed
        return;
      case 'run.started':
        h.started = true;
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
        // Without a duration in the event: from the start (else the creation) to this event.
        const duration =
          typeof d.durationMs === 'number'
            ? int(d.durationMs)
            : `greatest(0, round(extract(epoch FROM (${this.ts} - coalesce(started_at, created_at))) * 1000))::bigint`;
        this.body.push(
          `UPDATE statepipe.runs SET result = ${json(d.result)}, error = ${json(d.error)}, error_node_id = ${text(d.nodeId ?? null)}, ` +
            `finished_at = ${this.ts}, duration_ms = ${duration}, compensated = ${bool(d.compensated)}, ` +
            `compensation_failed = ${json(d.compensationFailed)} WHERE run_id = ${this.r}`,
        );
        return;
      }
    }
    const node = e.nodeId;
    if (node === undefined) return; // a node event without a node: nothing to project
    const n = text(node);
    switch (e.type) {
      case 'node.queued':
        return this.nodeSet(n, 'queued', null, null, seq);
      case 'node.started': {
        const d = e.data;
        const detail = d.until === undefined ? 'NULL' : json({ until: d.until });
        this.body.push(
          `INSERT INTO statepipe.node_states AS s (run_id, node_id, status, attempt, detail, started_at, updated_seq) ` +
            `VALUES (${this.r}, ${n}, 'running', ${int(d.attempt)}, ${detail}, ${this.ts}, ${seq}) ` +
            `ON CONFLICT (run_id, node_id) DO UPDATE SET status = 'running', attempt = excluded.attempt, detail = excluded.detail, ` +
            `started_at = coalesce(s.started_at, excluded.started_at), finished_at = NULL, updated_seq = excluded.updated_seq`,
          `INSERT INTO statepipe.node_attempts (run_id, node_id, attempt, status, idempotency_key, started_at) ` +
            `VALUES (${this.r}, ${n}, ${int(d.attempt)}, 'running', ${text(d.idempotencyKey ?? null)}, ${this.ts}) ` +
            `ON CONFLICT (run_id, node_id, attempt) DO UPDATE SET status = 'running', finished_at = NULL, duration_ms = NULL, error = NULL`,
        );
        return;
      }
      case 'node.tokens':
        this.chunks.push(`(${this.r}, ${n}, ${int(e.data.attempt)}, ${seq}, ${text(e.data.text)})`);
        return;
      case 'node.retrying': {
        const error = json(e.data.error);
        // A failed attempt that still spent tokens (a reply that broke its schema) counts toward the run.
        h.inTok += num(e.data.usage?.inputTokens);
        h.outTok += num(e.data.usage?.outputTokens);
        h.cost += num(e.data.costUsd);
        this.nodeSet(n, 'retrying', e.data.attempt, error, seq);
        return this.attemptStop(n, 'failed', error);
      }
      case 'node.succeeded': {
        const d = e.data;
        const reused = d.reusedFrom !== undefined;
        const inTok = reused ? 0 : num(d.usage?.inputTokens);
        const outTok = reused ? 0 : num(d.usage?.outputTokens);
        const cost = reused ? 0 : num(d.costUsd);
        h.inTok += inTok;
        h.outTok += outTok;
        h.cost += cost;
        const detail = reused || d.resolved ? json({ reusedFrom: d.reusedFrom, resolved: d.resolved }) : 'NULL';
        const output = d.output === undefined ? text('null') : json(d.output);
        this.nodeEnd(n, 'succeeded', d.attempt, output, 'NULL', detail, inTok + outTok, cost, seq);
        return this.attemptEnd(n, d.attempt, 'succeeded', d.durationMs, 'NULL', inTok, outTok, cost, d.model);
      }
      case 'node.failed': {
        const d = e.data;
        const inTok = num(d.usage?.inputTokens);
        const outTok = num(d.usage?.outputTokens);
        const cost = num(d.costUsd);
        h.inTok += inTok;
        h.outTok += outTok;
        h.cost += cost;
        const error = json(d.error);
        this.nodeEnd(n, 'failed', d.attempt, 'NULL', error, 'NULL', inTok + outTok, cost, seq);
        return this.attemptEnd(n, d.attempt, 'failed', d.durationMs, error, inTok, outTok, cost, undefined);
      }
      case 'node.skipped':
        return this.nodeEnd(n, 'skipped', undefined, 'NULL', 'NULL', json(e.data), 0, 0, seq);
      case 'node.cancelled':
      case 'node.in-doubt': {
        const status = e.type === 'node.cancelled' ? 'cancelled' : 'in-doubt';
        this.nodeSet(n, status, e.data.attempt ?? null, null, seq);
        return this.attemptStop(n, status, 'NULL');
      }
      case 'approval.requested':
        this.body.push(
          `INSERT INTO statepipe.approvals (run_id, node_id, status, title, details, requested_at, requested_seq) ` +
            `VALUES (${this.r}, ${n}, 'open', ${text(e.data.title)}, ${json(e.data.details)}, ${this.ts}, ${seq})`,
        );
        return this.nodeSet(n, 'waiting', null, null, seq);
      case 'approval.granted':
      case 'approval.rejected': {
        const d = e.data;
        const status = e.type === 'approval.granted' ? 'granted' : 'rejected';
        this.body.push(
          `UPDATE statepipe.approvals SET status = '${status}', decided_at = ${this.ts}, decided_by = ${text(d.by ?? null)}, ` +
            `comment = ${text(d.comment ?? null)}, data = ${json(d.data)} WHERE run_id = ${this.r} AND node_id = ${n} AND status = 'open'`,
        );
        return;
      }
      case 'compensation.started':
        return this.compensation(n, 'running', 'NULL', seq);
      case 'compensation.succeeded':
        return this.compensation(n, 'succeeded', 'NULL', seq);
      case 'compensation.failed':
        return this.compensation(n, e.data.final ? 'failed' : 'running', json(e.data.error), seq);
    }
  }

  private nodeSet(n: Sql, status: string, attempt: number | null, error: Sql | null, seq: number): void {
    const a = int(attempt);
    this.body.push(
      `INSERT INTO statepipe.node_states AS s (run_id, node_id, status, attempt, updated_seq) ` +
        `VALUES (${this.r}, ${n}, '${status}', coalesce(${a}, 0), ${seq}) ` +
        `ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempt = coalesce(${a}, s.attempt), ` +
        `error = coalesce(${error ?? 'NULL'}, s.error), updated_seq = excluded.updated_seq`,
    );
  }

  private nodeEnd(
    n: Sql,
    status: string,
    attempt: number | undefined,
    output: Sql,
    error: Sql,
    detail: Sql,
    tokens: number,
    cost: number,
    seq: number,
  ): void {
    const a = int(attempt);
    this.body.push(
      `INSERT INTO statepipe.node_states AS s (run_id, node_id, status, attempt, output, error, detail, finished_at, tokens, cost_usd, updated_seq) ` +
        `VALUES (${this.r}, ${n}, '${status}', coalesce(${a}, 0), ${output}, ${error}, ${detail}, ${this.ts}, ${int(tokens)}, ${float(cost)}, ${seq}) ` +
        `ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempt = coalesce(${a}, s.attempt), ` +
        `output = excluded.output, error = excluded.error, detail = coalesce(excluded.detail, s.detail), ` +
        `finished_at = excluded.finished_at, tokens = s.tokens + excluded.tokens, cost_usd = s.cost_usd + excluded.cost_usd, ` +
        `updated_seq = excluded.updated_seq`,
    );
  }

  private attemptEnd(
    n: Sql,
    attempt: number,
    status: string,
    durationMs: unknown,
    error: Sql,
    inTok: number,
    outTok: number,
    cost: number,
    model: string | undefined,
  ): void {
    this.body.push(
      `INSERT INTO statepipe.node_attempts AS a (run_id, node_id, attempt, status, finished_at, duration_ms, error, input_tokens, output_tokens, cost_usd, model) ` +
        `VALUES (${this.r}, ${n}, ${int(attempt)}, '${status}', ${this.ts}, ${int(num(durationMs))}, ${error}, ${int(inTok)}, ${int(outTok)}, ${float(cost)}, ${text(model ?? null)}) ` +
        `ON CONFLICT (run_id, node_id, attempt) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, ` +
        `duration_ms = excluded.duration_ms, error = excluded.error, input_tokens = excluded.input_tokens, ` +
        `output_tokens = excluded.output_tokens, cost_usd = excluded.cost_usd, model = coalesce(excluded.model, a.model)`,
    );
  }

  /** Ends whatever attempt of the node is still running (retrying, cancelled, in-doubt). */
  private attemptStop(n: Sql, status: string, error: Sql): void {
    this.body.push(
      `UPDATE statepipe.node_attempts SET status = '${status}', error = coalesce(${error}, error), finished_at = ${this.ts}, ` +
        `duration_ms = round(extract(epoch FROM (${this.ts} - started_at)) * 1000)::bigint ` +
        `WHERE run_id = ${this.r} AND node_id = ${n} AND status = 'running'`,
    );
  }

  private compensation(n: Sql, state: string, error: Sql, seq: number): void {
    this.body.push(
      `UPDATE statepipe.node_states SET compensation = '${state}', compensation_error = coalesce(${error}, compensation_error), ` +
        `updated_seq = ${seq} WHERE run_id = ${this.r} AND node_id = ${n}`,
    );
  }
}
