/**
 * The state of a run is a fold of its event log. The engine keeps it in memory while it
 * drives a run; `resume`, `inspect` and `replay` rebuild it from the log. Each event is
 * checked against the run/node machines before it is applied.
 */
import type { NodeError } from '../errors.js';
import type { AgentStep, ChildOf, PollRecord, RunEvent, Usage } from '../events.js';
import type { Graph } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { NodeStatus, RunStatus } from '../ports.js';
import { nextNodeStatus, nextRunStatus, nodeMachineEvent, runMachineEvent } from './machines.js';

export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  error?: NodeError;
  usage?: Usage;
  costUsd?: number;
  model?: string;
}

export interface NodeState {
  status: NodeStatus;
  /** The attempt most recently started (0 before the first). */
  attempt: number;
  /** Automatic retries count from here (a manual retry moves it). */
  attemptBase: number;
  attempts: AttemptRecord[];
  input?: unknown;
  output?: unknown;
  error?: NodeError;
  skipReason?: string;
  /** For a node skipped because of a failure upstream: the node that failed. */
  skipSource?: string;
  /** Streamed text of the current attempt. */
  stream: string;
  /** delay nodes: when the delay ends (ms since epoch). */
  until?: number;
  /** retrying nodes: when the next attempt is due (ms since epoch). */
  retryAt?: number;
  approval?: {
    title: string;
    details?: unknown;
    decision?: { approved: boolean; by?: string; comment?: string; data?: unknown };
  };
  steps: AgentStep[];
  /** http nodes with config.poll: the recorded submit and the latest poll (kept across restarts). */
  poll?: PollRecord;
  compensation?: { status: 'running' | 'succeeded' | 'failed'; attempt: number; error?: NodeError };
  logs: { ts: string; level: string; message: string }[];
  /** Composition nodes: their child runs by key (a map item, a loop iteration), the latest of each. */
  children?: Map<number, ChildRecord>;
  /** Composition nodes waiting: the child runs a person must decide in. */
  waitingChildren?: { runId: string; nodeIds: string[] }[];
}

export interface ChildRecord {
  runId: string;
  /** The parent attempt that started it. */
  attempt: number;
  graphId: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  result?: unknown;
  error?: NodeError;
  tokens: number;
  costUsd: number;
}

export interface RunState {
  runId: RunId;
  graphId: string;
  status: RunStatus;
  input: unknown;
  seq: number;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  result?: unknown;
  error?: NodeError;
  failedNodeId?: string;
  pauseReason?: 'user' | 'budget';
  /** Tokens spent so far (input + output), and the two apart. */
  tokens: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  budget: { maxTokens?: number; maxCostUsd?: number };
  nodes: Map<string, NodeState>;
  /** Succeeded nodes in order of completion (compensation runs in reverse). */
  completed: string[];
  compensated?: boolean;
  rerunOf?: { runId: string; fromNodeId: string };
  /** A child run: the run and node that started it. */
  parent?: ChildOf;
}

export function initialState(runId: RunId, graph: Graph): RunState {
  const nodes = new Map<string, NodeState>();
  for (const n of graph.nodes) {
    nodes.set(n.id, { status: 'idle', attempt: 0, attemptBase: 0, attempts: [], stream: '', steps: [], logs: [] });
  }
  return {
    runId,
    graphId: graph.id,
    status: 'queued',
    input: undefined,
    seq: 0,
    tokens: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    budget: { ...graph.budget },
    nodes,
    completed: [],
  };
}

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

function addUsage(state: RunState, usage: Usage): void {
  state.inputTokens += usage.inputTokens;
  state.outputTokens += usage.outputTokens;
  state.tokens += usage.inputTokens + usage.outputTokens;
}

/**
 * Applies one committed event to the state (in place, for speed). Throws AppError
 * ('illegal-transition') and leaves the state untouched when the machines refuse it.
 */
export function applyEvent(state: RunState, e: RunEvent): void {
  const runEvent = runMachineEvent(e.type);
  let node: NodeState | undefined;
  let nodeNext: NodeStatus | undefined;
  if (e.nodeId !== undefined && e.type !== 'node.log') {
    node = state.nodes.get(e.nodeId);
    if (!node) throw new Error(`event ${e.seq} names unknown node ${e.nodeId}`);
    const me = nodeMachineEvent(e.type, e.data as { reusedFrom?: string });
    if (me) nodeNext = nextNodeStatus(e.nodeId, node.status, me);
  }
  const runNext = runEvent ? nextRunStatus(state.status, runEvent) : undefined;
  // Validated: apply.
  state.seq = e.seq;
  if (runNext) state.status = runNext;
  if (node && nodeNext) node.status = nodeNext;
  switch (e.type) {
    case 'run.created':
      state.input = e.data.input;
      state.createdAt = e.ts;
      if (e.data.rerunOf) state.rerunOf = e.data.rerunOf;
      if (e.data.parent) state.parent = e.data.parent;
      return;
    case 'run.started':
      state.startedAt = e.ts;
      return;
    case 'run.paused':
      state.pauseReason = e.data.reason;
      return;
    case 'run.resumed':
      state.pauseReason = undefined;
      if (e.data.budget) state.budget = { ...state.budget, ...e.data.budget };
      return;
    case 'run.waiting':
    case 'run.interrupted':
      return;
    case 'run.succeeded':
      state.result = e.data.result;
      state.finishedAt = e.ts;
      return;
    case 'run.failed':
      state.error = e.data.error;
      if (e.data.nodeId) state.failedNodeId = e.data.nodeId;
      if (e.data.compensated !== undefined) state.compensated = e.data.compensated;
      state.finishedAt = e.ts;
      return;
    case 'run.cancelled':
      if (e.data.compensated !== undefined) state.compensated = e.data.compensated;
      state.finishedAt = e.ts;
      return;
    case 'run.retried':
      state.error = undefined;
      state.failedNodeId = undefined;
      state.finishedAt = undefined;
      return;
    case 'node.queued':
    case 'budget.exceeded':
      return;
    case 'node.started': {
      const n = node!;
      if (e.data.resumed) closeAttempt(n, e.ts, 'interrupted');
      n.waitingChildren = undefined;
      n.attempt = e.data.attempt;
      n.stream = '';
      n.until = e.data.until;
      n.retryAt = undefined;
      if (e.data.input !== undefined) n.input = e.data.input;
      n.attempts.push({ attempt: e.data.attempt, startedAt: ms(e.ts), status: 'running' });
      return;
    }
    case 'node.tokens':
      node!.stream += e.data.text;
      return;
    case 'node.log': {
      const n = e.nodeId === undefined ? undefined : state.nodes.get(e.nodeId);
      n?.logs.push({ ts: e.ts, level: e.data.level, message: e.data.message });
      return;
    }
    case 'node.retrying': {
      const n = node!;
      closeAttempt(n, e.ts, 'failed', {
        error: e.data.error,
        ...(e.data.usage ? { usage: e.data.usage } : {}),
        ...(e.data.costUsd !== undefined ? { costUsd: e.data.costUsd } : {}),
      });
      n.error = e.data.error;
      n.retryAt = ms(e.ts) + e.data.delayMs;
      if (e.data.usage) addUsage(state, e.data.usage);
      if (e.data.costUsd) state.costUsd += e.data.costUsd;
      return;
    }
    case 'node.succeeded': {
      const n = node!;
      const { usage, costUsd, model } = e.data;
      closeAttempt(n, e.ts, 'succeeded', {
        ...(usage ? { usage } : {}),
        ...(costUsd !== undefined ? { costUsd } : {}),
        ...(model ? { model } : {}),
      });
      n.output = e.data.output;
      n.error = undefined;
      n.until = undefined;
      if (usage) addUsage(state, usage);
      if (costUsd) state.costUsd += costUsd;
      state.completed.push(e.nodeId!);
      return;
    }
    case 'node.failed': {
      const n = node!;
      closeAttempt(n, e.ts, 'failed', {
        error: e.data.error,
        ...(e.data.usage ? { usage: e.data.usage } : {}),
        ...(e.data.costUsd !== undefined ? { costUsd: e.data.costUsd } : {}),
      });
      n.error = e.data.error;
      if (e.data.usage) addUsage(state, e.data.usage);
      if (e.data.costUsd) state.costUsd += e.data.costUsd;
      return;
    }
    case 'node.skipped':
      node!.skipReason = e.data.reason;
      if (e.data.source) node!.skipSource = e.data.source;
      return;
    case 'node.cancelled':
      closeAttempt(node!, e.ts, 'cancelled');
      return;
    case 'node.in-doubt':
      closeAttempt(node!, e.ts, 'interrupted', e.data.verifyError ? { error: e.data.verifyError } : {});
      if (e.data.verifyError) node!.error = e.data.verifyError;
      return;
    case 'node.requeued': {
      const n = node!;
      n.attemptBase = n.attempt;
      n.error = undefined;
      n.poll = undefined; // a person's retry submits again
      return;
    }
    case 'node.reset':
      node!.skipReason = undefined;
      node!.skipSource = undefined;
      return;
    case 'approval.requested':
      node!.approval = { title: e.data.title, details: e.data.details };
      return;
    case 'approval.granted':
    case 'approval.rejected': {
      const n = node!;
      const decision = { approved: e.type === 'approval.granted', ...e.data };
      n.approval = { ...(n.approval ?? { title: '' }), decision };
      return;
    }
    case 'agent.step':
      node!.steps[e.data.index] = e.data.step;
      return;
    case 'node.poll':
      node!.poll = e.data;
      return;
    case 'node.child': {
      const { attempt, key, childRunId, graphId } = e.data;
      (node!.children ??= new Map()).set(key, {
        runId: childRunId,
        attempt,
        graphId,
        status: 'running',
        tokens: 0,
        costUsd: 0,
      });
      return;
    }
    case 'child.finished': {
      const d = e.data;
      const rec = (node!.children ??= new Map()).get(d.key);
      const done: ChildRecord = {
        runId: d.childRunId,
        attempt: d.attempt,
        graphId: rec?.graphId ?? '',
        status: d.status,
        ...(d.result !== undefined ? { result: d.result } : {}),
        ...(d.error ? { error: d.error } : {}),
        tokens: d.usage.inputTokens + d.usage.outputTokens,
        costUsd: d.costUsd,
      };
      node!.children.set(d.key, done);
      addUsage(state, d.usage);
      state.costUsd += d.costUsd;
      return;
    }
    case 'node.waiting':
      node!.waitingChildren = e.data.children;
      return;
    case 'compensation.started':
      node!.compensation = { status: 'running', attempt: e.data.attempt };
      return;
    case 'compensation.succeeded':
      node!.compensation = { status: 'succeeded', attempt: e.data.attempt };
      return;
    case 'compensation.failed':
      node!.compensation = {
        status: e.data.final ? 'failed' : 'running',
        attempt: e.data.attempt,
        error: e.data.error,
      };
      return;
    default: {
      const never: never = e;
      throw new Error(`unhandled event ${(never as RunEvent).type}`);
    }
  }
}

export function foldEvents(runId: RunId, graph: Graph, events: readonly RunEvent[]): RunState {
  const state = initialState(runId, graph);
  for (const e of events) applyEvent(state, e);
  return state;
}
