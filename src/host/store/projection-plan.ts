/**
 * What each event projects, for every store: which derived rows (the run's status, usage, start
 * and end; node_states, node_attempts, stream_chunks, approvals) it changes and with what values.
 * The SQLite store runs a prepared statement for each call (projections.ts); the PostgreSQL store
 * collects them into one statement (pg/batch.ts). JSON values arrive as JSON text.
 */
import type { NewEvent } from '../../core/events.js';
import { runStatusAfter } from '../../core/engine/machines.js';
import type { NodeStatus, RunStatus } from '../../core/ports.js';

/** JSON for a nullable TEXT column; throws (and so writes nothing) on unserializable data. */
export const toJson = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export interface RunEnd {
  result: string | null;
  error: string | null;
  nodeId: string | null;
  /** From the event; undefined: from the run's start (else its creation) to the event. */
  durationMs: number | undefined;
  compensated: boolean | undefined;
  compensationFailed: string | null;
}

/** The writes of one event, in the order they must happen. */
export interface ProjectionSink {
  /**
   * Whether the sink keeps node rows (node states and attempts). Without, the node row calls
   * below are not made (nor their JSON written): a store that folds them from the events when
   * read (SQLite) gets only the run's status and usage, approvals and streamed chunks.
   */
  readonly nodeRows: boolean;
  status(status: RunStatus): void;
  /** Tokens and cost that count toward the run. */
  usage(inTok: number, outTok: number, cost: number): void;
  runStarted(): void;
  runEnded(end: RunEnd): void;
  /** A failed run runs again (a node retried): its end, error and duration are cleared. */
  runRetried(): void;
  /** A node's status; its attempt and error kept unless given. */
  nodeSet(node: string, status: NodeStatus, attempt: number | null, error: string | null, seq: number): void;
  /** A node's start, and its attempt's (`detail` for a delay's end, the attempt's idempotency key). */
  nodeStarted(node: string, attempt: number, detail: string | null, key: string | null, seq: number): void;
  /** A node's end: tokens and cost are added to what the node spent before. */
  nodeEnd(
    node: string,
    status: NodeStatus,
    attempt: number | null,
    output: string | null,
    error: string | null,
    detail: string | null,
    tokens: number,
    cost: number,
    seq: number,
  ): void;
  attemptEnd(
    node: string,
    attempt: number,
    status: 'succeeded' | 'failed',
    durationMs: number,
    error: string | null,
    inTok: number,
    outTok: number,
    cost: number,
    model: string | null,
  ): void;
  /** Ends whatever attempt of the node is still running (retrying, cancelled, in-doubt). */
  attemptStop(node: string, status: 'failed' | 'cancelled' | 'in-doubt', error: string | null): void;
  chunk(node: string, attempt: number, seq: number, text: string): void;
  approvalOpen(node: string, title: string, details: string | null, seq: number): void;
  approvalDecide(
    node: string,
    status: 'granted' | 'rejected',
    by: string | null,
    comment: string | null,
    data: string | null,
  ): void;
  compensation(node: string, state: 'running' | 'succeeded' | 'failed', error: string | null, seq: number): void;
}

/** Node events that change nothing but node rows. */
const ROWS_ONLY: ReadonlySet<string> = new Set([
  'node.queued',
  'node.started',
  'node.skipped',
  'node.cancelled',
  'node.in-doubt',
  'node.waiting',
  'compensation.started',
  'compensation.succeeded',
  'compensation.failed',
]);

/** Tells `sink` what the event `e`, numbered `seq`, projects. */
export function projectEvent(seq: number, e: NewEvent, sink: ProjectionSink): void {
  // The run machine's rule (machines.ts), not a copy of it.
  const runStatus = runStatusAfter(e.type);
  if (runStatus) sink.status(runStatus);
  switch (e.type) {
    case 'run.created':
    case 'run.paused':
    case 'run.resumed':
    case 'run.waiting':
    case 'run.interrupted':
    case 'node.log':
    case 'budget.exceeded':
    case 'agent.step': // usage of agent steps is summed into the agent's node.succeeded/failed
    case 'node.child': // the child's own row links it (runs.parent_run_id), written when it is created
    case 'node.poll': // read back from the events (run state), not from a table
    case 'node.requeued': // node_states keeps the last attempt's end until the node starts again
    case 'node.reset':
      return;
    case 'child.finished':
      // What a child run spent counts in its parent's totals (and budget).
      return sink.usage(num(e.data.usage?.inputTokens), num(e.data.usage?.outputTokens), num(e.data.costUsd));
    case 'run.retried': // the requeued nodes' own events follow
      return sink.runRetried();
    case 'run.started':
      return sink.runStarted();
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
      return sink.runEnded({
        result: toJson(d.result),
        error: toJson(d.error),
        nodeId: d.nodeId ?? null,
        durationMs: typeof d.durationMs === 'number' ? Math.round(d.durationMs) : undefined,
        compensated: d.compensated,
        compensationFailed: toJson(d.compensationFailed),
      });
    }
  }

  const node = e.nodeId;
  if (node === undefined) return; // a node event without a node: nothing to project
  if (!sink.nodeRows && ROWS_ONLY.has(e.type)) return;
  switch (e.type) {
    case 'node.queued':
      return sink.nodeSet(node, 'queued', null, null, seq);
    case 'node.started': {
      const d = e.data;
      const detail = d.until === undefined ? null : toJson({ until: d.until });
      return sink.nodeStarted(node, d.attempt, detail, d.idempotencyKey ?? null, seq);
    }
    case 'node.tokens':
      return sink.chunk(node, e.data.attempt, seq, e.data.text);
    case 'node.retrying': {
      // A failed attempt that still spent tokens (a reply that broke its schema) counts toward the run.
      sink.usage(num(e.data.usage?.inputTokens), num(e.data.usage?.outputTokens), num(e.data.costUsd));
      if (!sink.nodeRows) return;
      const error = toJson(e.data.error);
      sink.nodeSet(node, 'retrying', e.data.attempt, error, seq);
      return sink.attemptStop(node, 'failed', error);
    }
    case 'node.succeeded': {
      const d = e.data;
      const reused = d.reusedFrom !== undefined;
      const inTok = reused ? 0 : num(d.usage?.inputTokens);
      const outTok = reused ? 0 : num(d.usage?.outputTokens);
      const cost = reused ? 0 : num(d.costUsd);
      sink.usage(inTok, outTok, cost);
      if (!sink.nodeRows) return;
      const detail = reused || d.resolved ? toJson({ reusedFrom: d.reusedFrom, resolved: d.resolved }) : null;
      const output = toJson(d.output) ?? 'null';
      sink.nodeEnd(node, 'succeeded', d.attempt, output, null, detail, inTok + outTok, cost, seq);
      const duration = Math.round(num(d.durationMs));
      return sink.attemptEnd(node, d.attempt, 'succeeded', duration, null, inTok, outTok, cost, d.model ?? null);
    }
    case 'node.failed': {
      const d = e.data;
      const inTok = num(d.usage?.inputTokens);
      const outTok = num(d.usage?.outputTokens);
      const cost = num(d.costUsd);
      sink.usage(inTok, outTok, cost);
      if (!sink.nodeRows) return;
      const error = toJson(d.error);
      sink.nodeEnd(node, 'failed', d.attempt, null, error, null, inTok + outTok, cost, seq);
      const duration = Math.round(num(d.durationMs));
      return sink.attemptEnd(node, d.attempt, 'failed', duration, error, inTok, outTok, cost, null);
    }
    case 'node.skipped':
      return sink.nodeEnd(node, 'skipped', null, null, null, toJson(e.data), 0, 0, seq);
    case 'node.cancelled':
    case 'node.in-doubt': {
      const status = e.type === 'node.cancelled' ? 'cancelled' : 'in-doubt';
      // A node cancelled while its unsafe effect was under way keeps the error that says so.
      const error = e.type === 'node.cancelled' ? toJson(e.data.error) : null;
      sink.nodeSet(node, status, e.data.attempt ?? null, error, seq);
      return sink.attemptStop(node, status, error);
    }
    case 'node.waiting':
      return sink.nodeSet(node, 'waiting', e.data.attempt, null, seq);
    case 'approval.requested':
      sink.approvalOpen(node, e.data.title, toJson(e.data.details), seq);
      if (!sink.nodeRows) return;
      return sink.nodeSet(node, 'waiting', null, null, seq);
    case 'approval.granted':
    case 'approval.rejected': {
      const d = e.data;
      const status = e.type === 'approval.granted' ? 'granted' : 'rejected';
      return sink.approvalDecide(node, status, d.by ?? null, d.comment ?? null, toJson(d.data));
    }
    case 'compensation.started':
      return sink.compensation(node, 'running', null, seq);
    case 'compensation.succeeded':
      return sink.compensation(node, 'succeeded', null, seq);
    case 'compensation.failed':
      return sink.compensation(node, e.data.final ? 'failed' : 'running', toJson(e.data.error), seq);
    default: {
      // Every event type is projected above or on purpose not at all: a new one must be placed here.
      const unplaced: never = e;
      return unplaced;
    }
  }
}
