/**
 * One append (or run creation) as ONE statement: `SELECT statepipe.append(…)` (schema-functions.ts),
 * prepared once per connection, with the batch as parameters: the run-level sums for the fence
 * statement, the events, and what each event projects (projection-plan.ts: node_states,
 * node_attempts, approvals, stream_chunks, the run's end) as parallel arrays of operations. Values are bound, never written into SQL. PostgreSQL text cannot hold NUL:
 * raw text (a streamed chunk, a title) has it replaced by U+FFFD; JSON never contains it (`\u0000`).
 */
import type { ChildOf, NewEvent } from '../../../core/events.js';
import type { Fence, RunStatus } from '../../../core/ports.js';
import { projectEvent, toJson, type ProjectionSink } from '../projection-plan.js';
import { APPEND_HEAD_ARGS, BATCH_ARG_COUNT, CREATE_HEAD_ARGS } from './schema-functions.js';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const text = (v: string | null | undefined): string | null =>
  v === null || v === undefined ? null : v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;

/** One projection operation (see statepipe.project for what each field means per kind). */
interface Op {
  kind:
    | 'node'
    | 'started'
    | 'end'
    | 'attempt'
    | 'stop'
    | 'chunk'
    | 'approval'
    | 'decision'
    | 'compensation'
    | 'run-end'
    | 'run-retried';
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
  /** A rerun: the run whose outputs it copied, and the node it reran from. */
  rerunOf: string | null;
  rerunFromNode: string | null;
  /** A child run: the run and node that started it, and its key there. */
  parent: ChildOf | null;
  idempotencyKey: { key: string; requestHash?: string } | undefined;
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
    for (const e of events) projectEvent(seq++, e, this.sink);
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
      toJson(run.input),
      run.rerunOf,
      run.rerunFromNode,
      run.parent?.runId ?? null,
      run.parent?.nodeId ?? null,
      run.parent?.key ?? null,
      run.idempotencyKey?.key ?? null,
      run.idempotencyKey?.requestHash ?? null,
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
    // Integers for the integer columns (a fractional token count would not be a bigint).
    const ops = OP_FIELDS.map((f) =>
      this.ops.map((o) => {
        const v = o[f];
        if (f === 'f1') return num(v);
        if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v) : null;
        return typeof v === 'string' ? text(v) : (v ?? null);
      }),
    );
    return [...events, ...ops];
  }

  /** Collects what projection-plan.ts says each event writes, as operations of statepipe.project. */
  private readonly sink: ProjectionSink = {
    nodeRows: true,
    status: (status) => {
      this.status = status;
    },
    usage: (inTok, outTok, cost) => {
      this.inTok += inTok;
      this.outTok += outTok;
      this.cost += cost;
    },
    runStarted: () => {
      this.started = true;
    },
    runRetried: () => this.op({ kind: 'run-retried', node: null }),
    // Without a duration in the event, the server counts from the run's start (else its creation).
    runEnded: (end) =>
      this.op({
        kind: 'run-end',
        node: end.nodeId,
        status: end.compensated === undefined ? null : String(end.compensated),
        t1: end.result,
        t2: end.error,
        t3: end.compensationFailed,
        n1: end.durationMs ?? null,
      }),
    nodeSet: (node, status, attempt, error, seq) => this.op({ kind: 'node', node, status, attempt, t1: error, seq }),
    nodeStarted: (node, attempt, detail, key, seq) =>
      this.op({ kind: 'started', node, attempt, t1: detail, t2: key, seq }),
    nodeEnd: (node, status, attempt, output, error, detail, tokens, cost, seq) =>
      this.op({ kind: 'end', node, status, attempt, t1: output, t2: error, t3: detail, n1: tokens, f1: cost, seq }),
    attemptEnd: (node, attempt, status, duration, error, inTok, outTok, cost, model) =>
      this.op({
        kind: 'attempt',
        node,
        status,
        attempt,
        t1: model,
        t2: error,
        n1: inTok,
        n2: outTok,
        n3: duration,
        f1: cost,
      }),
    attemptStop: (node, status, error) => this.op({ kind: 'stop', node, status, t2: error }),
    chunk: (node, attempt, seq, text) => this.op({ kind: 'chunk', node, attempt, t1: text, seq }),
    approvalOpen: (node, title, details, seq) => this.op({ kind: 'approval', node, t1: title, t2: details, seq }),
    approvalDecide: (node, status, by, comment, data) =>
      this.op({ kind: 'decision', node, status, t1: by, t2: comment, t3: data }),
    compensation: (node, state, error, seq) => this.op({ kind: 'compensation', node, status: state, t2: error, seq }),
  };

  private op(o: Op): void {
    this.ops.push(o);
  }
}
