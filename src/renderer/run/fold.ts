/**
 * The one fold of a run's events in the studio, for every view of a run (the live run view,
 * time travel, the trace, the timeline, the run diff): the engine's own fold (core `applyEvent`,
 * checked against the run/node machines) over a mutable state, and after each batch an
 * immutable snapshot in which only the nodes the batch touched are new objects, so a memoized
 * canvas card re-renders only when its own node changed.
 *
 * An event the machines refuse is recorded in `problems` and folding goes on: the log is the
 * truth, and the next event may still apply. Every view treats refused events this one way.
 */
import type { NodeError } from '../../core/errors';
import type { AgentStep, PauseReason, RunEvent } from '../../core/events';
import type { Graph, GraphNode } from '../../core/graph/schema';
import type { RunId } from '../../core/ids';
import type { NodeStatus, RunStatus } from '../../core/ports';
import {
  applyEvent,
  initialState,
  nodeDurationMs,
  nodeUsage,
  type AttemptRecord,
  type NodeState,
  type RunState,
} from '../../core/engine/state';
import { isTerminalRun } from '../../core/engine/machines';
import { countTokens } from '../../core/nodes/llm/mock-provider';
import { ChildTimes, childItems, childProgress, type ChildItem, type ChildProgress } from './children';

export type { NodeStatus, RunStatus, AttemptRecord };

/** One node of a run as the studio shows it: the fold's node state, read-only, with its totals. */
export interface NodeSnapshot extends Omit<
  NodeState,
  'attemptBase' | 'poll' | 'attempts' | 'logs' | 'steps' | 'children' | 'waitingChildren'
> {
  attempts: readonly AttemptRecord[];
  logs: readonly NodeState['logs'][number][];
  steps: readonly AgentStep[];
  /** How long it took (its current try: core nodeDurationMs), once its last attempt ended. */
  durationMs?: number;
  /** Sums over the node's finished attempts (and, for a composition node, its children that ended). */
  tokens: number;
  costUsd: number;
  /** Counting live: settled, plus what its attempt still running has used (as the run's, below). */
  liveTokens: number;
  liveCostUsd: number;
  estimating: boolean;
  /** A composition node: its child runs in key order, and its progress. */
  children?: readonly ChildItem[];
  progress?: ChildProgress;
}

/** A run as the studio shows it, at some event (the last one folded). */
export interface RunSnapshot {
  runId: string;
  graphId: string;
  status: RunStatus;
  lastSeq: number;
  input: unknown;
  result?: unknown;
  error?: NodeError;
  failedNodeId?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  pauseReason?: PauseReason;
  /** The run's budget (the graph's, as raised by resumes): set while it is paused by it. */
  budget?: RunState['budget'];
  rerunOf?: { runId: string; fromNodeId: string };
  /** A child run: the run and node that started it, and its key there. */
  parent?: { runId: string; nodeId: string; key: number };
  /** Settled: what finished attempts reported. */
  tokens: number;
  costUsd: number;
  /**
   * Counting live: settled, plus the agent steps and streamed text of attempts still running
   * (a stream's tokens are estimated from its text until its reply reports the real count).
   */
  liveTokens: number;
  liveCostUsd: number;
  /** liveTokens holds an estimate (a stream is open). */
  estimating: boolean;
  nodes: Readonly<Record<string, NodeSnapshot>>;
  /** Events the fold refused (an illegal transition): shown, never thrown. */
  problems: readonly string[];
}

export const isTerminalStatus = (s: RunStatus | undefined): boolean => s !== undefined && isTerminalRun(s);

function nodeSnapshot(n: NodeState, g: GraphNode | undefined, times: ChildTimes, runStatus: RunStatus): NodeSnapshot {
  const { tokens, costUsd } = nodeUsage(n);
  const open = openUsage(n);
  const v: NodeSnapshot = {
    status: n.status,
    attempt: n.attempt,
    attempts: n.attempts.map((a) => ({ ...a })),
    stream: n.stream,
    logs: n.logs.slice(),
    steps: n.steps.slice(),
    tokens,
    costUsd,
    liveTokens: tokens + open.tokens,
    liveCostUsd: costUsd + open.costUsd,
    estimating: open.estimating,
  };
  if (n.input !== undefined) v.input = n.input;
  if (n.output !== undefined) v.output = n.output;
  if (n.error) v.error = n.error;
  if (n.skipReason) v.skipReason = n.skipReason;
  if (n.skipSource) v.skipSource = n.skipSource;
  if (n.approval) v.approval = n.approval;
  if (n.compensation) v.compensation = { ...n.compensation };
  if (n.retryAt !== undefined) v.retryAt = n.retryAt;
  if (n.until !== undefined) v.until = n.until;
  const durationMs = nodeDurationMs(n);
  if (durationMs !== undefined) v.durationMs = durationMs;
  const children = childItems(n, times, runStatus);
  if (children) v.children = children;
  const progress = g ? childProgress(g.type, n, g.config, children) : undefined;
  if (progress) v.progress = progress;
  return v;
}

/** What a node's attempt still running has used so far: its agent steps, and its stream's text (estimated). */
function openUsage(n: NodeState): { tokens: number; costUsd: number; estimating: boolean } {
  let tokens = 0;
  let costUsd = 0;
  if (n.status !== 'running') return { tokens, costUsd, estimating: false };
  for (const s of n.steps) {
    if (s.kind !== 'model') continue;
    if (s.usage) tokens += s.usage.inputTokens + s.usage.outputTokens;
    costUsd += s.costUsd ?? 0;
  }
  if (n.stream) tokens += countTokens(n.stream);
  return { tokens, costUsd, estimating: n.stream !== '' };
}

/** Folds a run's events incrementally; `apply` returns the new snapshot (the same one when nothing changed). */
export class RunFold {
  private readonly state: RunState;
  private view: RunSnapshot;
  private readonly problems: string[] = [];
  /** The problems as last handed out (a new array only when one was added). */
  private problemsView: readonly string[] = [];
  private readonly times = new ChildTimes();
  private readonly index: Map<string, GraphNode>;

  constructor(
    readonly runId: string,
    readonly graph: Graph,
  ) {
    this.state = initialState(runId as RunId, graph);
    this.index = new Map(graph.nodes.map((n) => [n.id, n]));
    const nodes: Record<string, NodeSnapshot> = {};
    for (const [id, n] of this.state.nodes)
      nodes[id] = nodeSnapshot(n, this.index.get(id), this.times, this.state.status);
    this.view = this.snapshot(nodes);
  }

  get current(): RunSnapshot {
    return this.view;
  }

  apply(events: readonly RunEvent[]): RunSnapshot {
    const touched = new Set<string>();
    const status = this.state.status;
    let changed = false;
    for (const e of events) {
      if (e.seq <= this.state.seq) continue;
      try {
        applyEvent(this.state, e);
        this.times.note(e);
        if (e.nodeId !== undefined && this.state.nodes.has(e.nodeId)) touched.add(e.nodeId);
      } catch (err) {
        this.state.seq = e.seq;
        this.problems.push(
          `event ${e.seq} (${e.type}${e.nodeId ? ` ${e.nodeId}` : ''}): ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      changed = true;
    }
    if (!changed) return this.view;
    // A composition node's children follow the run's status (paused with it): a run-level event
    // (a pause, a resume) touches every node that started children, though it names none.
    if (this.state.status !== status) for (const [id, n] of this.state.nodes) if (n.children?.size) touched.add(id);
    let nodes = this.view.nodes;
    if (touched.size) {
      const next = { ...nodes };
      for (const id of touched)
        next[id] = nodeSnapshot(this.state.nodes.get(id)!, this.index.get(id), this.times, this.state.status);
      nodes = next;
    }
    this.view = this.snapshot(nodes);
    return this.view;
  }

  private snapshot(nodes: Readonly<Record<string, NodeSnapshot>>): RunSnapshot {
    const s = this.state;
    // The run's live count is its nodes' (the same sums the inspector and the cards show).
    const open = { tokens: 0, costUsd: 0, estimating: false };
    for (const n of Object.values(nodes)) {
      open.tokens += n.liveTokens - n.tokens;
      open.costUsd += n.liveCostUsd - n.costUsd;
      open.estimating ||= n.estimating;
    }
    const v: RunSnapshot = {
      runId: this.runId,
      graphId: s.graphId,
      status: s.status,
      lastSeq: s.seq,
      input: s.input,
      tokens: s.tokens,
      costUsd: s.costUsd,
      liveTokens: s.tokens + open.tokens,
      liveCostUsd: s.costUsd + open.costUsd,
      estimating: open.estimating,
      nodes,
      problems:
        this.problemsView.length === this.problems.length
          ? this.problemsView
          : (this.problemsView = this.problems.slice()),
    };
    if (s.result !== undefined) v.result = s.result;
    if (s.error) v.error = s.error;
    if (s.failedNodeId) v.failedNodeId = s.failedNodeId;
    if (s.createdAt) v.createdAt = s.createdAt;
    if (s.startedAt) v.startedAt = s.startedAt;
    if (s.finishedAt) v.finishedAt = s.finishedAt;
    if (s.pauseReason && s.status === 'paused') v.pauseReason = s.pauseReason;
    if (v.pauseReason === 'budget') v.budget = { ...s.budget };
    if (s.rerunOf) v.rerunOf = s.rerunOf;
    if (s.parent) v.parent = s.parent;
    return v;
  }
}

/** The snapshot after the events up to `seq` (all when omitted): time travel, the run diff. */
export function foldTo(runId: string, graph: Graph, events: readonly RunEvent[], seq = Infinity): RunSnapshot {
  return new RunFold(runId, graph).apply(seq === Infinity ? events : events.filter((e) => e.seq <= seq));
}

/** Edges that animate: data flows into a running target, or a finished source feeds a queued one. */
export function animatedEdges(graph: Graph, view: RunSnapshot | null): string {
  if (!view) return '';
  const out: string[] = [];
  for (const e of graph.edges) {
    const t = view.nodes[e.target]?.status;
    const s = view.nodes[e.source]?.status;
    // Data waits at a queued node while the run is paused: only what is running still flows.
    if (t === 'running' || t === 'retrying' || (s === 'succeeded' && t === 'queued' && view.status === 'running'))
      out.push(e.id);
  }
  return out.join('\n');
}
