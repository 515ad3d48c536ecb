/**
 * The state of a run is a fold of its event log. The engine keeps it in memory while it
 * drives a run; `resume`, `inspect` and `replay` rebuild it from the log. Each event is
 * checked against the run/node machines before it is applied.
 */
import type { RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { NodeStatus } from '../ports.js';
import { applyEffects } from './event-effects.js';
import { nextNodeStatus, nextRunStatus, nodeMachineEvent, runMachineEvent } from './machines.js';
import type { NodeState, RunState } from './state-types.js';

export type { AttemptRecord, ChildRecord, NodeState, RunState } from './state-types.js';

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
  applyEffects(state, e, node);
}

export function foldEvents(runId: RunId, graph: Graph, events: readonly RunEvent[]): RunState {
  const state = initialState(runId, graph);
  for (const e of events) applyEvent(state, e);
  return state;
}

/**
 * How long a node took: from the first attempt of its current try (after the last manual retry;
 * automatic retries and their backoff count, the time the run sat failed does not) to its last
 * attempt's end. Undefined until that attempt ends.
 */
export function nodeDurationMs(n: Pick<NodeState, 'attempts' | 'attemptBase'>): number | undefined {
  const last = n.attempts.at(-1);
  if (last?.finishedAt === undefined) return undefined;
  const first = n.attempts.find((a) => a.attempt > n.attemptBase) ?? n.attempts[0]!;
  return last.finishedAt - first.startedAt;
}

/** What a node has spent: its attempts' model usage, plus its children's (a composition node's own attempts call no model). */
export function nodeUsage(n: NodeState): { tokens: number; costUsd: number } {
  let tokens = 0;
  let costUsd = 0;
  for (const a of n.attempts) {
    if (a.usage) tokens += a.usage.inputTokens + a.usage.outputTokens;
    costUsd += a.costUsd ?? 0;
  }
  for (const c of n.children?.values() ?? []) {
    tokens += c.tokens;
    costUsd += c.costUsd;
  }
  return { tokens, costUsd };
}
