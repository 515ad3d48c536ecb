/**
 * A run's node states and attempts folded from its events with the projection plan, in memory.
 * The SQLite store reads them this way instead of keeping tables of them: an effectful node's
 * commit then writes its events, the run's row and nothing else (fewer pages per fsync), and
 * the rows read are those the PostgreSQL store keeps (same plan, same contract tests).
 */
import type { NewEvent } from '../../core/events.js';
import type { NodeStatus } from '../../core/ports.js';
import { projectEvent, type ProjectionSink } from './projection-plan.js';
import type { AttemptStatus, NodeAttemptRow, NodeStateRow } from './types.js';

/** What the fold reads of each event. */
export interface StoredEvent {
  seq: number;
  ts: string;
  type: string;
  nodeId: string | null;
  data: unknown;
}

const parse = (json: string | null): unknown => (json === null ? null : JSON.parse(json));

export interface NodeRows {
  /** In order of last change (`updatedSeq`). */
  states: NodeStateRow[];
  /** In order of start (attempts never started first), node id, attempt. */
  attempts: NodeAttemptRow[];
}

export function foldNodeRows(events: Iterable<StoredEvent>): NodeRows {
  const states = new Map<string, NodeStateRow>();
  const attempts = new Map<string, NodeAttemptRow[]>();
  let ts = '';
  const attemptOf = (node: string, attempt: number): NodeAttemptRow | undefined =>
    attempts.get(node)?.find((a) => a.attempt === attempt);
  const addAttempt = (row: NodeAttemptRow) => {
    const list = attempts.get(row.nodeId);
    if (list) list.push(row);
    else attempts.set(row.nodeId, [row]);
  };
  const newState = (nodeId: string, status: NodeStatus, seq: number): NodeStateRow => {
    const row: NodeStateRow = {
      nodeId,
      status,
      attempt: 0,
      output: null,
      error: null,
      detail: null,
      startedAt: null,
      finishedAt: null,
      tokens: 0,
      costUsd: 0,
      compensation: null,
      compensationError: null,
      updatedSeq: seq,
    };
    states.set(nodeId, row);
    return row;
  };
  const newAttempt = (nodeId: string, attempt: number, status: AttemptStatus): NodeAttemptRow => ({
    nodeId,
    attempt,
    status,
    idempotencyKey: null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    error: null,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    model: null,
  });

  const sink: ProjectionSink = {
    nodeRows: true,
    status: () => undefined,
    usage: () => undefined,
    runStarted: () => undefined,
    runEnded: () => undefined,
    runRetried: () => undefined,
    chunk: () => undefined,
    approvalOpen: () => undefined,
    approvalDecide: () => undefined,
    nodeSet(node, status, attempt, error, seq) {
      const row = states.get(node);
      if (!row) {
        newState(node, status, seq).attempt = attempt ?? 0;
        return;
      }
      row.status = status;
      if (attempt !== null) row.attempt = attempt;
      if (error !== null) row.error = parse(error) as NodeStateRow['error'];
      row.updatedSeq = seq;
    },
    nodeStarted(node, attempt, detail, key, seq) {
      const row = states.get(node) ?? newState(node, 'running', seq);
      row.status = 'running';
      row.attempt = attempt;
      row.detail = parse(detail) as NodeStateRow['detail'];
      row.startedAt ??= ts;
      row.finishedAt = null;
      row.updatedSeq = seq;
      const a = attemptOf(node, attempt);
      if (a) {
        Object.assign(a, { status: 'running', finishedAt: null, durationMs: null, error: null });
      } else {
        addAttempt({ ...newAttempt(node, attempt, 'running'), idempotencyKey: key, startedAt: ts });
      }
    },
    nodeEnd(node, status, attempt, output, error, detail, tokens, cost, seq) {
      const row = states.get(node) ?? newState(node, status, seq);
      row.status = status;
      if (attempt !== null) row.attempt = attempt;
      row.output = parse(output);
      row.error = parse(error) as NodeStateRow['error'];
      if (detail !== null) row.detail = parse(detail) as NodeStateRow['detail'];
      row.finishedAt = ts;
      row.tokens += tokens;
      row.costUsd += cost;
      row.updatedSeq = seq;
    },
    attemptEnd(node, attempt, status, durationMs, error, inTok, outTok, cost, model) {
      let a = attemptOf(node, attempt);
      if (!a) addAttempt((a = newAttempt(node, attempt, status)));
      const ended = { status, finishedAt: ts, durationMs, error: parse(error) as NodeAttemptRow['error'] };
      Object.assign(a, ended, { inputTokens: inTok, outputTokens: outTok, costUsd: cost });
      if (model !== null) a.model = model;
    },
    attemptStop(node, status, error) {
      for (const a of attempts.get(node) ?? []) {
        if (a.status !== 'running') continue;
        a.status = status;
        if (error !== null) a.error = parse(error) as NodeAttemptRow['error'];
        a.finishedAt = ts;
        a.durationMs = a.startedAt === null ? null : Date.parse(ts) - Date.parse(a.startedAt);
      }
    },
    compensation(node, state, error, seq) {
      const row = states.get(node);
      if (!row) return;
      row.compensation = state;
      if (error !== null) row.compensationError = parse(error) as NodeStateRow['compensationError'];
      row.updatedSeq = seq;
    },
  };

  for (const e of events) {
    ts = e.ts;
    const event = { type: e.type, data: e.data, ...(e.nodeId === null ? {} : { nodeId: e.nodeId }) };
    projectEvent(e.seq, event as NewEvent, sink);
  }
  return {
    states: [...states.values()].sort((a, b) => a.updatedSeq - b.updatedSeq),
    attempts: [...attempts.values()].flat().sort(byStart),
  };
}

/** Never-started attempts first (as SQL sorts NULL), then by start, node id, attempt. */
function byStart(a: NodeAttemptRow, b: NodeAttemptRow): number {
  if (a.startedAt !== b.startedAt) {
    if (a.startedAt === null) return -1;
    if (b.startedAt === null) return 1;
    return a.startedAt < b.startedAt ? -1 : 1;
  }
  if (a.nodeId !== b.nodeId) return a.nodeId < b.nodeId ? -1 : 1;
  return a.attempt - b.attempt;
}
