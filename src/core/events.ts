/**
 * The one RunEvent union. It feeds the database, the UI, the CLI and the JSONL export.
 * Every transition produces exactly one event with a gapless per-run `seq`.
 */
import type { NodeError } from './errors.js';
import type { NodeId, RunId } from './ids.js';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Why a run is paused: a person, its budget, or its host stopping in order. */
export type PauseReason = 'user' | 'budget' | 'stopped';

/**
 * A child run where a person must decide, and what: the run that holds the decision (a subgraph's
 * own child, however deep), its approvals and in-doubt nodes.
 */
export interface WaitingChild {
  runId: string;
  nodeIds: string[];
  /** Those of `nodeIds` in doubt: retried or resolved in `runId`, not approved. */
  inDoubt?: string[];
  /** When it waits deeper than the direct child: that direct child run. */
  via?: string;
}

/** Data carried by each event type. Run-level events have no nodeId. */
export interface RunEventData {
  'run.created': {
    graphId: string;
    graphHash: string;
    input: unknown;
    /** Set on `rerun --from`: the run whose outputs were reused and the node rerun from. */
    rerunOf?: { runId: string; fromNodeId: string };
    /** A child run (subgraph, map, loop): the run and node that started it, and its key there. */
    parent?: ChildOf;
  };
  'run.started': Record<string, never>;
  /** `stopped`: paused by its host stopping in order (serve's Ctrl+C, quitting the app). */
  'run.paused': { reason: PauseReason };
  'run.resumed': { budget?: { maxTokens?: number; maxCostUsd?: number } };
  'run.waiting': {
    nodeIds: string[];
    /** Child runs that wait for a person, and their waiting nodes (approve in either run). */
    children?: WaitingChild[];
  };
  'run.interrupted': { ownerPid?: number };
  'run.succeeded': { result: unknown; durationMs: number };
  'run.failed': { error: NodeError; nodeId?: string; compensated?: boolean; compensationFailed?: string[] };
  'run.cancelled': { compensated?: boolean; compensationFailed?: string[] };
  /** A failed run continues because a person retried one of its failed nodes. */
  'run.retried': { nodeId: string };
  'node.queued': Record<string, never>;
  'node.started': {
    attempt: number;
    idempotencyKey: string;
    /** The same attempt started again after a crash (pure/idempotent nodes only). */
    resumed?: boolean;
    /** delay nodes: the wall-clock time the delay ends (ms since epoch). */
    until?: number;
    /** The node's config with its templates evaluated (what the inspector shows as input). */
    input?: unknown;
  };
  'node.tokens': { attempt: number; text: string };
  'node.log': { level: LogLevel; message: string; attempt?: number };
  'node.retrying': {
    attempt: number;
    delayMs: number;
    error: NodeError;
    usage?: Usage;
    costUsd?: number;
    /** false: after a crash, the node's `verify` check found the effect of the attempt before absent. */
    verified?: false;
  };
  'node.succeeded': {
    attempt: number;
    durationMs: number;
    output: unknown;
    usage?: Usage;
    costUsd?: number;
    model?: string;
    /** rerun: copied from an earlier run; resolve: given by a person for an in-doubt node. */
    reusedFrom?: string;
    resolved?: boolean;
    /** After a crash, the node's `verify` check found the effect applied: the output is the check's. */
    verified?: true;
  };
  'node.failed': { attempt: number; durationMs: number; error: NodeError; usage?: Usage; costUsd?: number };
  'node.skipped': { reason: string; source?: string };
  /** `error`: cancelled while its unsafe effect was under way (it may have taken place). */
  'node.cancelled': { attempt?: number; error?: NodeError };
  /** `verifyError`: the node's `verify` check could not answer (after the node's retries). */
  'node.in-doubt': { attempt: number; verifyError?: NodeError };
  /** A failed or in-doubt node queued again by a person (`retry`). */
  'node.requeued': { attempt: number };
  /** A node skipped because its source failed, back to idle after that source was requeued. */
  'node.reset': { reason: string };
  'approval.requested': { title: string; details?: unknown };
  'approval.granted': { by?: string; comment?: string; data?: unknown };
  'approval.rejected': { by?: string; comment?: string; data?: unknown };
  'budget.exceeded': { tokens: number; costUsd: number; maxTokens?: number; maxCostUsd?: number };
  'agent.step': { attempt: number; index: number; step: AgentStep };
  /** A long-running http node (config.poll): its submit response, then each poll, recorded durably. */
  'node.poll': PollRecord;
  /** A composition node is about to start a child run: committed before the child exists. */
  'node.child': { attempt: number; key: number; childRunId: string; graphId: string };
  /** A child run ended: its outcome, and what it spent (counted in this run and its budget). */
  'child.finished': {
    attempt: number;
    key: number;
    childRunId: string;
    status: 'succeeded' | 'failed' | 'cancelled';
    result?: unknown;
    error?: NodeError;
    usage: Usage;
    costUsd: number;
  };
  /** A composition node waits for its child runs (a person must decide in one of them). */
  'node.waiting': { attempt: number; children: WaitingChild[] };
  'compensation.started': { attempt: number };
  'compensation.succeeded': { attempt: number; output?: unknown };
  'compensation.failed': { attempt: number; error: NodeError; final: boolean };
}

/** How a child run is linked to its parent: the run and node that started it, and its key there. */
export interface ChildOf {
  runId: string;
  nodeId: string;
  /** A map item's index, a loop's iteration, 0 for a subgraph. */
  key: number;
}

export type AgentStep =
  | {
      kind: 'model';
      text?: string;
      toolCall?: { id: string; name: string; args: unknown };
      usage?: Usage;
      costUsd?: number;
      model?: string;
    }
  | { kind: 'tool'; name: string; callId: string; args: unknown; result: unknown };

/** The durable record of a polled http node: a restart resumes polling without resubmitting. */
export interface PollRecord {
  attempt: number;
  /** The submit response ({ status, headers, body }). */
  submitted: unknown;
  /** When the submit was answered (ms since epoch): maxWaitMs counts from here. */
  since: number;
  /** Polls made so far. */
  polls: number;
  /** The latest poll response, if any. */
  last?: unknown;
  /** When the next poll is due (ms since epoch). */
  nextPollAt: number;
}

export type RunEventType = keyof RunEventData;

export const RUN_EVENT_TYPES = [
  'run.created',
  'run.started',
  'run.paused',
  'run.resumed',
  'run.waiting',
  'run.interrupted',
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  'run.retried',
  'node.queued',
  'node.started',
  'node.tokens',
  'node.log',
  'node.retrying',
  'node.succeeded',
  'node.failed',
  'node.skipped',
  'node.cancelled',
  'node.in-doubt',
  'node.requeued',
  'node.reset',
  'approval.requested',
  'approval.granted',
  'approval.rejected',
  'budget.exceeded',
  'agent.step',
  'node.poll',
  'node.child',
  'child.finished',
  'node.waiting',
  'compensation.started',
  'compensation.succeeded',
  'compensation.failed',
] as const satisfies readonly RunEventType[];

type EventOf<T extends RunEventType> = {
  seq: number;
  runId: RunId;
  /** ISO-8601 time of the commit. */
  ts: string;
  type: T;
  nodeId?: NodeId;
  data: RunEventData[T];
};

/** A committed event. */
export type RunEvent = { [T in RunEventType]: EventOf<T> }[RunEventType];

/** An event before it is committed: the store assigns seq, runId and ts. */
export type NewEvent = { [T in RunEventType]: { type: T; nodeId?: NodeId; data: RunEventData[T] } }[RunEventType];

export function ev<T extends RunEventType>(type: T, data: RunEventData[T], nodeId?: NodeId): NewEvent {
  return (nodeId === undefined ? { type, data } : { type, nodeId, data }) as NewEvent;
}

/**
 * A new event as committed. Every committed event is built here with the same fields in the same
 * order (not spread from events of many shapes, which V8 copies on a slow path): the engine and
 * the stores make one per event.
 */
export function committedEvent(e: NewEvent, seq: number, runId: RunId, ts: string): RunEvent {
  const data = e.data ?? {}; // an event read from outside the type system may have none
  return (
    e.nodeId == null // null only from outside the type system: no node, as a row read back says
      ? { seq, runId, ts, type: e.type, data }
      : { seq, runId, ts, type: e.type, nodeId: e.nodeId, data }
  ) as RunEvent;
}

/** A stored event as a new one (its seq, run and time dropped): to seed another store with a log. */
export function asNewEvent(e: RunEvent): NewEvent {
  return ev(e.type, e.data as never, e.nodeId);
}
