/**
 * What each event does to a run's folded state, once the run and node machines have accepted it
 * (state.ts checks, then calls `applyEffects`). One small step per event type, in two tables: the
 * run's events and the node's. Both are complete: a new event type does not compile until it is
 * given its step here.
 */
import type { RunEvent, RunEventType, Usage } from '../events.js';
import type { AttemptRecord, ChildRecord, NodeState, RunState } from './state-types.js';

type Of<T extends RunEventType> = Extract<RunEvent, { type: T }>;

let lastTs = '';
let lastMs = 0;
/** Event times repeat within a millisecond: parse each distinct one once. */
const ms = (ts: string): number => {
  if (ts !== lastTs) {
    lastTs = ts;
    lastMs = Date.parse(ts);
  }
  return lastMs;
};

function closeAttempt(
  node: NodeState,
  ts: string,
  status: AttemptRecord['status'],
  patch: Partial<AttemptRecord> = {},
): void {
  const rec = node.attempts[node.attempts.length - 1];
  if (rec && rec.status === 'running') Object.assign(rec, { status, finishedAt: ms(ts), ...patch });
}

function spend(state: RunState, usage: Usage | undefined, costUsd: number | undefined): void {
  if (usage) {
    state.inputTokens += usage.inputTokens;
    state.outputTokens += usage.outputTokens;
    state.tokens += usage.inputTokens + usage.outputTokens;
  }
  if (costUsd) state.costUsd += costUsd;
}

/** What an attempt that ended spent, as its record keeps it. */
const spent = (d: { usage?: Usage; costUsd?: number }): Partial<AttemptRecord> => ({
  ...(d.usage ? { usage: d.usage } : {}),
  ...(d.costUsd !== undefined ? { costUsd: d.costUsd } : {}),
});

type RunLevel =
  | 'run.created'
  | 'run.started'
  | 'run.paused'
  | 'run.resumed'
  | 'run.waiting'
  | 'run.interrupted'
  | 'run.succeeded'
  | 'run.failed'
  | 'run.cancelled'
  | 'run.retried';
type NodeLevel = Exclude<RunEventType, RunLevel>;

const nothing = (): void => undefined;

const RUN: { [T in RunLevel]: (s: RunState, e: Of<T>) => void } = {
  'run.created': (s, e) => {
    s.input = e.data.input;
    s.createdAt = e.ts;
    if (e.data.rerunOf) s.rerunOf = e.data.rerunOf;
    if (e.data.parent) s.parent = e.data.parent;
  },
  'run.started': (s, e) => {
    s.startedAt = e.ts;
  },
  'run.paused': (s, e) => {
    s.pauseReason = e.data.reason;
  },
  'run.resumed': (s, e) => {
    s.pauseReason = undefined;
    if (e.data.budget) s.budget = { ...s.budget, ...e.data.budget };
  },
  'run.waiting': nothing,
  'run.interrupted': nothing,
  'run.succeeded': (s, e) => {
    s.result = e.data.result;
    s.finishedAt = e.ts;
  },
  'run.failed': (s, e) => {
    s.error = e.data.error;
    if (e.data.nodeId) s.failedNodeId = e.data.nodeId;
    if (e.data.compensated !== undefined) s.compensated = e.data.compensated;
    s.finishedAt = e.ts;
  },
  'run.cancelled': (s, e) => {
    if (e.data.compensated !== undefined) s.compensated = e.data.compensated;
    s.finishedAt = e.ts;
  },
  'run.retried': (s) => {
    s.error = undefined;
    s.failedNodeId = undefined;
    s.finishedAt = undefined;
  },
};

const NODE: { [T in NodeLevel]: (n: NodeState, e: Of<T>, s: RunState) => void } = {
  'node.queued': nothing,
  'budget.exceeded': nothing,
  'node.started': (n, e) => {
    if (e.data.resumed) closeAttempt(n, e.ts, 'interrupted');
    n.waitingChildren = undefined;
    n.attempt = e.data.attempt;
    n.stream = '';
    n.until = e.data.until;
    n.retryAt = undefined;
    if (e.data.input !== undefined) n.input = e.data.input;
    n.attempts.push({ attempt: e.data.attempt, startedAt: ms(e.ts), status: 'running' });
  },
  'node.tokens': (n, e) => {
    n.stream += e.data.text;
  },
  'node.log': (n, e) => {
    n.logs.push({ ts: e.ts, level: e.data.level, message: e.data.message });
  },
  'node.retrying': (n, e, s) => {
    closeAttempt(n, e.ts, 'failed', { error: e.data.error, ...spent(e.data) });
    n.error = e.data.error;
    n.retryAt = ms(e.ts) + e.data.delayMs;
    spend(s, e.data.usage, e.data.costUsd);
  },
  'node.succeeded': (n, e, s) => {
    closeAttempt(n, e.ts, 'succeeded', { ...spent(e.data), ...(e.data.model ? { model: e.data.model } : {}) });
    n.output = e.data.output;
    n.error = undefined;
    n.until = undefined;
    spend(s, e.data.usage, e.data.costUsd);
    if (e.nodeId !== undefined) s.completed.push(e.nodeId);
  },
  'node.failed': (n, e, s) => {
    closeAttempt(n, e.ts, 'failed', { error: e.data.error, ...spent(e.data) });
    n.error = e.data.error;
    spend(s, e.data.usage, e.data.costUsd);
  },
  'node.skipped': (n, e) => {
    n.skipReason = e.data.reason;
    if (e.data.source) n.skipSource = e.data.source;
  },
  'node.cancelled': (n, e) => {
    closeAttempt(n, e.ts, 'cancelled', e.data.error ? { error: e.data.error } : {});
    if (e.data.error) n.error = e.data.error;
  },
  'node.in-doubt': (n, e) => {
    closeAttempt(n, e.ts, 'interrupted', e.data.verifyError ? { error: e.data.verifyError } : {});
    if (e.data.verifyError) n.error = e.data.verifyError;
  },
  'node.requeued': (n) => {
    n.attemptBase = n.attempt;
    n.error = undefined;
    n.poll = undefined; // a person's retry submits again
  },
  'node.reset': (n) => {
    n.skipReason = undefined;
    n.skipSource = undefined;
  },
  'approval.requested': (n, e) => {
    n.approval = { title: e.data.title, details: e.data.details };
  },
  'approval.granted': (n, e) => decide(n, true, e.data),
  'approval.rejected': (n, e) => decide(n, false, e.data),
  'agent.step': (n, e) => {
    n.steps[e.data.index] = e.data.step;
  },
  'node.poll': (n, e) => {
    n.poll = e.data;
  },
  'node.child': (n, e) => {
    const { attempt, key, childRunId, graphId } = e.data;
    const rec: ChildRecord = { runId: childRunId, attempt, graphId, status: 'running', tokens: 0, costUsd: 0 };
    (n.children ??= new Map()).set(key, rec);
  },
  'child.finished': (n, e, s) => {
    const d = e.data;
    const children = (n.children ??= new Map());
    children.set(d.key, {
      runId: d.childRunId,
      attempt: d.attempt,
      graphId: children.get(d.key)?.graphId ?? '',
      status: d.status,
      ...(d.result !== undefined ? { result: d.result } : {}),
      ...(d.error ? { error: d.error } : {}),
      tokens: d.usage.inputTokens + d.usage.outputTokens,
      costUsd: d.costUsd,
    });
    spend(s, d.usage, d.costUsd);
  },
  'node.waiting': (n, e) => {
    closeAttempt(n, e.ts, 'suspended');
    n.waitingChildren = e.data.children;
  },
  'compensation.started': (n, e) => {
    n.compensation = { status: 'running', attempt: e.data.attempt };
  },
  'compensation.succeeded': (n, e) => {
    n.compensation = { status: 'succeeded', attempt: e.data.attempt };
  },
  'compensation.failed': (n, e) => {
    n.compensation = { status: e.data.final ? 'failed' : 'running', attempt: e.data.attempt, error: e.data.error };
  },
};

function decide(n: NodeState, approved: boolean, data: Of<'approval.granted'>['data']): void {
  n.approval = { ...(n.approval ?? { title: '' }), decision: { approved, ...data } };
}

const isRunLevel = (type: RunEventType): type is RunLevel => type in RUN;

/**
 * The event's step. `node` is the event's node, looked up (and checked to exist) by the caller;
 * a log line of a node the graph does not have is dropped.
 */
export function applyEffects(state: RunState, e: RunEvent, node: NodeState | undefined): void {
  if (isRunLevel(e.type)) return (RUN[e.type] as (s: RunState, e: RunEvent) => void)(state, e);
  const n = node ?? (e.nodeId === undefined ? undefined : state.nodes.get(e.nodeId));
  if (!n) return; // a node.log (or budget.exceeded) without a node of this graph
  (NODE[e.type as NodeLevel] as (n: NodeState, e: RunEvent, s: RunState) => void)(n, e, state);
}
