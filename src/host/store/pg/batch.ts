/**
 * One append (or run creation) as ONE statement: `SELECT statepipe.append(…)` (schema-functions.ts),
 * prepared once per connection, with the batch as parameters: the run-level sums for the fence
 * statement, the events, and what each event projects (node_states, node_attempts, approvals,
 * stream_chunks, the run's end) as parallel arrays of operations, with the meaning of
 * projections.ts. Values are bound, never written into SQL. PostgreSQL text cannot hold NUL:
 * raw text (a streamed chunk, a title) has it replaced by U+FFFD; JSON never contains it (`\u0000`).
 */
import type { NewEvent } from '../../../core/events.js';
import type { Fence, RunStatus } from '../../../core/ports.js';
import { RUN_STATUS_OF } from '../projections.js';
import { APPEND_HEAD_ARGS, BATCH_ARG_COUNT, CREATE_HEAD_ARGS } from './schema-functions.js';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
const text = (v: string | null | undefined): string | null =>
  v === null || v === undefined ? null : v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
/** JSON text of a value (null for undefined). Throws, and so sends nothing, on unserializable data. */
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** One projection operation (see statepipe.project for what each field means per kind). */
interface Op {
  kind:
    'node' | 'started' | 'end' | 'attempt' | 'stop' | 'chunk' | 'approval' | 'decision' | 'compensation' | 'run-end';
  node?: string | null;
  status?: string | null;
  attempt?: number | null;
  t1?: string | null;
  t2?: string | null;
  t3?: string | null;
  n1?: number | null;
  n2?: number | null;
  n3?: number | null;
  f1?: number;
  seq?: number;
}

const OP_FIELDS = ['kind', 'node', 'status', 'attempt', 't1', 't2', 't3', 'n1', 'n2', 'n3', 'f1', 'seq'] as const;

/** The `runs` row of a new run, written in the same statement as its first events. */
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

export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

const params = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');
const APPEND_SQL = `SELECT statepipe.append(${params(1, APPEND_HEAD_ARGS + BATCH_ARG_COUNT)})`;
const CREATE_SQL = `SELECT statepipe.create_run(${params(1, CREATE_HEAD_ARGS + BATCH_ARG_COUNT)})`;

export class Batch {
  private status: RunStatus | undefined;
  private started = false;
  private inTok = 0;
  private outTok = 0;
  private cost = 0;
  private readonly ops: Op[] = [];

  constructor(
    private readonly runId: string,
    private readonly ts: string,
    private readonly firstSeq: number,
    private readonly events: readonly NewEvent[],
  ) {
    let seq = firstSeq;
    for (const e of events) this.project(seq++, e);
  }

  /** An append: fenced by the lease epoch and the seq it follows. */
  append(fence: Fence): Statement {
    const head = [this.runId, fence.epoch, fence.afterSeq, this.ts, ...this.sums()];
    return { name: 'statepipe.append', text: APPEND_SQL, values: [...head, ...this.arrays()] };
  }

  /** A new run: its row (graph version resolved in the same transaction), key and first events. */
  create(run: NewRunRow): Statement {
    const head = [
      this.runId,
      this.ts,
      run.graphId,
      run.graphName,
      run.graphHash,
      run.graphJson,
      json(run.input),
      run.parentRunId,
      run.rerunFromNode,
      run.idempotencyKey ?? null,
      ...this.sums(),
    ];
    return { name: 'statepipe.create_run', text: CREATE_SQL, values: [...head, ...this.arrays()] };
  }

  /** The run-level part: status, usage, whether it started. */
  private sums(): unknown[] {
    return [this.status ?? null, Math.round(this.inTok), Math.round(this.outTok), this.cost, this.started];
  }

  private arrays(): unknown[] {
    const events = [
      this.events.map((e) => e.type),
      this.events.map((e) => text(e.nodeId ?? null)),
      this.events.map((e) => JSON.stringify(e.data ?? {})),
    ];
    const ops = OP_FIELDS.map((f) =>
      this.ops.map((o) => {
        const v = o[f];
        return f === 'f1' ? num(v) : typeof v === 'string' ? text(v) : (v ?? null);
      }),
    );
    return [...events, ...ops];
  }

  private project(seq: number, e: NewEvent): void {
    const status = RUN_STATUS_OF[e.type];
    if (status) this.status = status;
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
        this.started = true;
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
        // Without a duration in the event: from the start (else the creation), on the server.
        this.ops.push({
          kind: 'run-end',
          node: d.nodeId ?? null,
          status: d.compensated === undefined ? null : String(d.compensated),
          t1: json(d.result),
          t2: json(d.error),
          t3: json(d.compensationFailed),
          n1: int(d.durationMs),
        });
        return;
      }
    }
    const node = e.nodeId;
    if (node === undefined) return; // a node event without a node: nothing to project
    switch (e.type) {
      case 'node.queued':
        return this.nodeSet(node, 'queued', null, null, seq);
      case 'node.started': {
        const d = e.data;
        const detail = d.until === undefined ? null : json({ until: d.until });
        this.ops.push({ kind: 'started', node, attempt: d.attempt, t1: detail, t2: d.idempotencyKey ?? null, seq });
        return;
      }
      case 'node.tokens':
        this.ops.push({ kind: 'chunk', node, attempt: e.data.attempt, t1: e.data.text, seq });
        return;
      case 'node.retrying': {
        const error = json(e.data.error);
        // A failed attempt that still spent tokens (a reply that broke its schema) counts toward the run.
        this.inTok += num(e.data.usage?.inputTokens);
        this.outTok += num(e.data.usage?.outputTokens);
        this.cost += num(e.data.costUsd);
        this.nodeSet(node, 'retrying', e.data.attempt, error, seq);
        this.ops.push({ kind: 'stop', node, status: 'failed', t2: error });
        return;
      }
      case 'node.succeeded': {
        const d = e.data;
        const reused = d.reusedFrom !== undefined;
        const inTok = reused ? 0 : num(d.usage?.inputTokens);
        const outTok = reused ? 0 : num(d.usage?.outputTokens);
        const cost = reused ? 0 : num(d.costUsd);
        this.usage(inTok, outTok, cost);
        const detail = reused || d.resolved ? json({ reusedFrom: d.reusedFrom, resolved: d.resolved }) : null;
        const output = json(d.output) ?? 'null';
        this.nodeEnd(node, 'succeeded', d.attempt, output, null, detail, inTok + outTok, cost, seq);
        return this.attemptEnd(node, d.attempt, 'succeeded', d.durationMs, null, inTok, outTok, cost, d.model);
      }
      case 'node.failed': {
        const d = e.data;
        const inTok = num(d.usage?.inputTokens);
        const outTok = num(d.usage?.outputTokens);
        const cost = num(d.costUsd);
        this.usage(inTok, outTok, cost);
        const error = json(d.error);
        this.nodeEnd(node, 'failed', d.attempt, null, error, null, inTok + outTok, cost, seq);
        return this.attemptEnd(node, d.attempt, 'failed', d.durationMs, error, inTok, outTok, cost, undefined);
      }
      case 'node.skipped':
        return this.nodeEnd(node, 'skipped', null, null, null, json(e.data), 0, 0, seq);
      case 'node.cancelled':
      case 'node.in-doubt': {
        const status = e.type === 'node.cancelled' ? 'cancelled' : 'in-doubt';
        this.nodeSet(node, status, e.data.attempt ?? null, null, seq);
        this.ops.push({ kind: 'stop', node, status, t2: null });
        return;
      }
      case 'approval.requested':
        this.ops.push({ kind: 'approval', node, t1: e.data.title, t2: json(e.data.details), seq });
        return this.nodeSet(node, 'waiting', null, null, seq);
      case 'approval.granted':
      case 'approval.rejected': {
        const d = e.data;
        const status = e.type === 'approval.granted' ? 'granted' : 'rejected';
        this.ops.push({ kind: 'decision', node, status, t1: d.by ?? null, t2: d.comment ?? null, t3: json(d.data) });
        return;
      }
      case 'compensation.started':
        this.ops.push({ kind: 'compensation', node, status: 'running', t2: null, seq });
        return;
      case 'compensation.succeeded':
        this.ops.push({ kind: 'compensation', node, status: 'succeeded', t2: null, seq });
        return;
      case 'compensation.failed':
        this.ops.push({
          kind: 'compensation',
          node,
          status: e.data.final ? 'failed' : 'running',
          t2: json(e.data.error),
          seq,
        });
        return;
    }
  }

  private usage(inTok: number, outTok: number, cost: number): void {
    this.inTok += inTok;
    this.outTok += outTok;
    this.cost += cost;
  }

  private nodeSet(node: string, status: string, attempt: number | null, error: string | null, seq: number): void {
    this.ops.push({ kind: 'node', node, status, attempt: int(attempt), t1: error, seq });
  }

  private nodeEnd(
    node: string,
    status: string,
    attempt: number | null,
    output: string | null,
    error: string | null,
    detail: string | null,
    tokens: number,
    cost: number,
    seq: number,
  ): void {
    this.ops.push({
      kind: 'end',
      node,
      status,
      attempt: int(attempt),
      t1: output,
      t2: error,
      t3: detail,
      n1: Math.round(tokens),
      f1: cost,
      seq,
    });
  }

  private attemptEnd(
    node: string,
    attempt: number,
    status: string,
    durationMs: unknown,
    error: string | null,
    inTok: number,
    outTok: number,
    cost: number,
    model: string | undefined,
  ): void {
    this.ops.push({
      kind: 'attempt',
      node,
      status,
      attempt: int(attempt),
      t1: model ?? null,
      t2: error,
      n1: Math.round(inTok),
      n2: Math.round(outTok),
      n3: Math.round(num(durationMs)),
      f1: cost,
    });
  }
}
