/**
 * The state of one run as the studio shows it. One source of truth: the engine's own fold
 * (core `applyEvent`, checked against the run/node machines) over a mutable state, and after
 * each batch an immutable view in which only the nodes the batch touched are new objects, so
 * a memoized canvas node re-renders only when its own state changed.
 *
 * Reusable by any view of a run (live canvas, run detail, time travel: `viewAt(graph, events, seq)`).
 */
import type { NodeError } from '../../core/errors';
import type { RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import type { RunId } from '../../core/ids';
import type { NodeStatus, RunStatus } from '../../core/ports';
import { applyEvent, initialState, type AttemptRecord, type NodeState, type RunState } from '../../core/engine/state';

export type { NodeStatus, RunStatus };

export interface NodeView {
  status: NodeStatus;
  attempt: number;
  attempts: readonly AttemptRecord[];
  input?: unknown;
  output?: unknown;
  error?: NodeError;
  skipReason?: string;
  stream: string;
  approval?: NodeState['approval'];
  logs: readonly { ts: string; level: string; message: string }[];
  compensation?: NodeState['compensation'];
  retryAt?: number;
  until?: number;
  /** Sums over the node's attempts. */
  tokens: number;
  costUsd: number;
}

export interface RunView {
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
  pauseReason?: 'user' | 'budget';
  rerunOf?: { runId: string; fromNodeId: string };
  tokens: number;
  costUsd: number;
  nodes: Readonly<Record<string, NodeView>>;
  /** Events the fold refused (an illegal transition): shown, never thrown. */
  problems: readonly string[];
}

export const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminalStatus = (s: RunStatus | undefined): boolean => s !== undefined && TERMINAL.has(s);
/** States in which a person's control applies. */
export const canPause = (s: RunStatus | undefined) => s === 'running' || s === 'waiting' || s === 'queued';
export const canResume = (s: RunStatus | undefined) => s === 'paused' || s === 'interrupted';
export const canCancel = (s: RunStatus | undefined) => s !== undefined && !TERMINAL.has(s);

function nodeView(n: NodeState): NodeView {
  let tokens = 0;
  let costUsd = 0;
  for (const a of n.attempts) {
    if (a.usage) tokens += a.usage.inputTokens + a.usage.outputTokens;
    costUsd += a.costUsd ?? 0;
  }
  const v: NodeView = {
    status: n.status,
    attempt: n.attempt,
    attempts: n.attempts.map((a) => ({ ...a })),
    stream: n.stream,
    logs: n.logs.slice(),
    tokens,
    costUsd,
  };
  if (n.input !== undefined) v.input = n.input;
  if (n.output !== undefined) v.output = n.output;
  if (n.error) v.error = n.error;
  if (n.skipReason) v.skipReason = n.skipReason;
  if (n.approval) v.approval = n.approval;
  if (n.compensation) v.compensation = { ...n.compensation };
  if (n.retryAt !== undefined) v.retryAt = n.retryAt;
  if (n.until !== undefined) v.until = n.until;
  return v;
}

/** Folds a run's events incrementally; `apply` returns the new view (or the same one when nothing changed). */
export class RunFold {
  private readonly state: RunState;
  private view: RunView;
  private readonly problems: string[] = [];

  constructor(
    readonly runId: string,
    readonly graph: Graph,
  ) {
    this.state = initialState(runId as RunId, graph);
    const nodes: Record<string, NodeView> = {};
    for (const [id, n] of this.state.nodes) nodes[id] = nodeView(n);
    this.view = this.snapshot(nodes);
  }

  get current(): RunView {
    return this.view;
  }

  apply(events: readonly RunEvent[]): RunView {
    const touched = new Set<string>();
    let changed = false;
    for (const e of events) {
      if (e.seq <= this.state.seq) continue;
      try {
        applyEvent(this.state, e);
        changed = true;
        if (e.nodeId !== undefined && this.state.nodes.has(e.nodeId)) touched.add(e.nodeId);
      } catch (err) {
        // Keep going: the log is the truth and the next event may still apply.
        this.state.seq = e.seq;
        this.problems.push(
          `event ${e.seq} (${e.type}${e.nodeId ? ` ${e.nodeId}` : ''}): ${err instanceof Error ? err.message : String(err)}`,
        );
        changed = true;
      }
    }
    if (!changed) return this.view;
    let nodes = this.view.nodes;
    if (touched.size) {
      const next = { ...nodes };
      for (const id of touched) next[id] = nodeView(this.state.nodes.get(id)!);
      nodes = next;
    }
    this.view = this.snapshot(nodes);
    return this.view;
  }

  private snapshot(nodes: Readonly<Record<string, NodeView>>): RunView {
    const s = this.state;
    const v: RunView = {
      runId: this.runId,
      graphId: s.graphId,
      status: s.status,
      lastSeq: s.seq,
      input: s.input,
      tokens: s.tokens,
      costUsd: s.costUsd,
      nodes,
      problems: this.problems.slice(),
    };
    if (s.result !== undefined) v.result = s.result;
    if (s.error) v.error = s.error;
    if (s.failedNodeId) v.failedNodeId = s.failedNodeId;
    if (s.createdAt) v.createdAt = s.createdAt;
    if (s.startedAt) v.startedAt = s.startedAt;
    if (s.finishedAt) v.finishedAt = s.finishedAt;
    if (s.pauseReason && s.status === 'paused') v.pauseReason = s.pauseReason;
    if (s.rerunOf) v.rerunOf = s.rerunOf;
    return v;
  }
}

/** The view after the events up to `seq` (all when omitted): for time travel and run detail. */
export function viewAt(runId: string, graph: Graph, events: readonly RunEvent[], seq = Infinity): RunView {
  return new RunFold(runId, graph).apply(events.filter((e) => e.seq <= seq));
}

/** Edges that animate: data flows into a running target, or a finished source feeds a queued one. */
export function animatedEdges(graph: Graph, view: RunView | null): string {
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

/** The last `lines` lines of a stream (the node shows the tail, the inspector everything). */
export function streamTail(text: string, lines = 2, maxChars = 240): string {
  const tail = text.length > maxChars * 2 ? text.slice(-maxChars * 2) : text;
  const parts = tail.split('\n');
  const kept = parts.slice(-lines).join('\n');
  return kept.length > maxChars ? `…${kept.slice(-maxChars)}` : kept;
}
