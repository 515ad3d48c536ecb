/**
 * The narrow port between a run's driver and what works inside it (node tasks, compensations,
 * a person's control): read the run's state, commit events, wait for them to be durable, say a
 * node finished. The driver implements it; nothing inside reaches the driver's own fields.
 */
import { NodeFailure } from '../errors.js';
import type { NewEvent } from '../events.js';
import type { Graph, GraphNode } from '../graph/schema.js';
import type { Topology } from '../graph/topology.js';
import type { NodeId, RunId } from '../ids.js';
import type { ChildRuns, Clock, NodeResult, NodeRunContext, NodeRunner } from '../ports.js';
import type { EngineDeps } from './context.js';
import type { RunState } from './state.js';

export interface RunContext {
  readonly runId: RunId;
  readonly graph: Graph;
  readonly topo: Topology;
  readonly nodes: ReadonlyMap<string, GraphNode>;
  readonly deps: EngineDeps;
  /** The run as committed so far (staged events included): read only. */
  readonly state: Readonly<RunState>;
  /** `{ <id>: { output } }` of every succeeded node: the template scope. */
  readonly outputs: Readonly<Record<string, { output: unknown }>>;
  /** Aborts when the driver stops (a store failure, or another process took the run). */
  readonly stopped: AbortSignal;
  /** Stages events (checked, numbered, applied to the state); written with the next flush. */
  commit(events: NewEvent[]): void;
  /** Resolves once every event committed so far is written and published: await it before any effect. */
  durable(): Promise<void>;
  /** A node reached a final state: its children may now be ready or skipped. */
  finished(nodeId: NodeId): void;
  /** The run's budget is spent (counting `spent`, a running node's uncommitted usage). */
  budgetExceeded(spent?: Spent): boolean;
  /** `budget.exceeded` as the run pauses for its budget. */
  budgetEvent(nodeId: NodeId, spent?: Spent): NewEvent;
  /** A store or engine failure: stop everything (the run stays resumable). */
  fail(err: unknown): void;
  /** The child runs of a composition node's attempt (undefined where the host runs none). */
  childRuns(nodeId: NodeId, attempt: number, signal: AbortSignal): ChildRuns | undefined;
  /**
   * Undoes a composition node's succeeded child runs (their nodes' `compensate` actions, latest
   * child first) as its run fails or is cancelled; resolves with the children whose undoing failed
   * and how many had something undone.
   */
  compensateChildren(nodeId: NodeId): Promise<{ failed: string[]; undone: number }>;
  /**
   * Cancels the child runs its composition nodes recorded and that have not ended (waiting for a
   * person, paused, driven elsewhere), as the run is cancelled: they do nothing more.
   */
  cancelChildren(): Promise<void>;
}

export interface Spent {
  tokens: number;
  costUsd: number;
}

/**
 * One attempt of a runner with effects: it ends at `timeoutMs` (kind `timeout`, retryable) or
 * when `parent` aborts (a cancel of the run, or the driver stopping), whichever comes first,
 * even if the runner ignores its signal.
 */
export async function runAttempt(
  runner: NodeRunner,
  make: (signal: AbortSignal) => NodeRunContext,
  opts: { timeoutMs: number; parent: AbortSignal; clock: Clock; what: string },
): Promise<NodeResult> {
  const attempt = new AbortController();
  const onAbort = new Promise<never>((_, reject) => {
    attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true });
  });
  onAbort.catch(() => undefined);
  // Linked after the listener: a parent that is already aborted ends the attempt at once.
  const unlink = link(opts.parent, attempt);
  const cancelTimer = opts.clock.timer(opts.timeoutMs, () =>
    attempt.abort(new NodeFailure('timeout', `${opts.what} timed out after ${opts.timeoutMs} ms`)),
  );
  try {
    return await Promise.race([runner(make(attempt.signal)), onAbort]);
  } finally {
    cancelTimer();
    unlink();
  }
}

/** Aborts `child` when `parent` aborts (with the same reason); returns the unlink function. */
export function link(parent: AbortSignal, child: AbortController): () => void {
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => undefined;
  }
  const onAbort = () => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}
