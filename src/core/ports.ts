/**
 * The ports through which the pure engine reaches its host (Rivet's "context object").
 * The core never imports node:*, electron or react; the host implements these.
 */
import type { NodeError } from './errors.js';
import type { AgentStep, LogLevel, NewEvent, PollRecord, RunEvent, Usage } from './events.js';
import type { Graph, GraphNode } from './graph/schema.js';
import type { NodeId, RunId } from './ids.js';

/** Time, injectable so tests can use a simulated clock. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with an AbortError if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` after `ms` unless the returned function is called first (cheaper than sleep + abort). */
  timer(ms: number, fn: () => void): () => void;
  /**
   * Resolves after the host's event loop had a turn (I/O, timers). A run of pure nodes executes in
   * microtasks; without turns it would hold the host (a web socket, IPC) until it ends.
   */
  turn?(): Promise<void>;
}

export type RunStatus =
  'queued' | 'running' | 'paused' | 'waiting' | 'interrupted' | 'succeeded' | 'failed' | 'cancelled';

export type NodeStatus =
  | 'idle'
  | 'queued'
  | 'running'
  | 'retrying'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'in-doubt';

/** A control request left by another process for the process driving a run. */
export type ControlRequest = { kind: 'pause' } | { kind: 'cancel' };

export interface NewRun {
  runId: RunId;
  graph: Graph;
  graphHash: string;
  /** Events to commit with the run row, starting with `run.created`. */
  events: NewEvent[];
}

/**
 * Durable storage of runs. Synchronous on purpose: better-sqlite3 commits in-line, so a
 * transition is durable before the engine takes its next step or any subscriber sees it.
 */
export interface RunStore {
  /** Creates the run, stores its graph snapshot and commits its first events, atomically. */
  createRun(run: NewRun): RunEvent[];
  /** Commits events in one transaction, assigning gapless seqs; returns them as committed. */
  append(runId: RunId, events: NewEvent[]): RunEvent[];
  /** The graph snapshot a run runs, and its whole event log. Throws AppError('not-found'). */
  loadRun(runId: RunId): { graph: Graph; events: RunEvent[] };
  /** Takes ownership of a run for this process. Returns false if a live process owns it. */
  acquireLease(runId: RunId, owner: LeaseOwner): boolean;
  renewLease(runId: RunId, owner: LeaseOwner): void;
  releaseLease(runId: RunId, owner: LeaseOwner): void;
  /** Takes (and deletes) pending control requests for a run. */
  takeControls(runId: RunId): ControlRequest[];
  /** Leaves a control request for the process that drives the run. */
  requestControl(runId: RunId, kind: ControlRequest['kind']): void;
}

export interface LeaseOwner {
  id: string;
  pid?: number;
}

/** What a node runner gets: everything it needs, nothing of the host it need not know. */
export interface NodeRunContext {
  runId: RunId;
  node: GraphNode;
  attempt: number;
  idempotencyKey: string;
  signal: AbortSignal;
  clock: Clock;
  /** The attempt's time limit (ms): what in-process work (a condition's expression) is bounded by. */
  timeoutMs?: number;
  /** `{ input, nodes: { <upstream id>: { output } } }`: the template scope of this node. */
  scope: TemplateScope;
  /**
   * The node's config with its templates evaluated against `scope`. Fields that are not
   * templates are passed as written: `code`, `mock`, `outputSchema`, `tools`, `expression`.
   */
  config: Record<string, unknown>;
  /** delay nodes: when the delay ends (ms since epoch), kept across restarts. */
  until?: number;
  /** The error of the previous attempt, if any (an llm feeds schema errors back to the model). */
  previousError?: NodeError;
  /** Streams partial output; the engine coalesces it into `node.tokens` events. */
  emitTokens(text: string): void;
  log(level: LogLevel, message: string): void;
  /** Agent durability: steps recorded by earlier attempts of this node (in order). */
  recordedSteps: AgentStep[];
  /** Commits one finished agent step before the loop goes on. */
  recordStep(step: AgentStep): void;
  /**
   * Agent budgets: true when the run's budget is spent, counting `spent` (what this node used
   * and has not committed as its result yet): the next model call must not start. The runner
   * then throws kind `budget`, and the engine pauses the run (resuming continues the loop).
   */
  overBudget?(spent: { tokens: number; costUsd: number }): boolean;
  /** Polled http nodes: the record committed by an earlier attempt or process, if any. */
  poll?: PollRecord;
  /** Commits a `node.poll` record (the submit, then each poll) before polling goes on. */
  recordPoll?(record: Omit<PollRecord, 'attempt'>): void;
  services: RunnerServices;
}

export interface TemplateScope {
  input: unknown;
  nodes: Record<string, { output: unknown }>;
}

export interface NodeResult {
  output: unknown;
  usage?: Usage;
  costUsd?: number;
  model?: string;
}

/** Runs one node type. Throw a NodeFailure to fail with a precise kind. */
export type NodeRunner = (ctx: NodeRunContext) => Promise<NodeResult>;

/** Host capabilities runners may use; the host fills in what it has. */
export interface RunnerServices {
  /** Runs JavaScript off the main thread (code nodes, code tools, code compensations). */
  runCode?(
    code: string,
    args: { input: unknown; nodes: Record<string, unknown> },
    opts: { timeoutMs: number; signal: AbortSignal },
  ): Promise<unknown>;
  /** A model provider by name (`openai`, `anthropic`, …); `mock` is built in. */
  provider?(name: string): ModelProvider | undefined;
  fetch?: typeof fetch;
  /**
   * Runs an http node's `verify` check once (after a crash, for the attempt that was in flight).
   * Resolves with the verdict; throws a NodeFailure when the check cannot answer (retryable:
   * network, 5xx, 429, a timeout; not: a template or expression that fails).
   */
  verifyEffect?(req: VerifyRequest): Promise<VerifyVerdict>;
}

export interface VerifyRequest {
  runId: RunId;
  node: GraphNode;
  /** The attempt that was in flight, and its key. */
  attempt: number;
  idempotencyKey: string;
  /** `{ input, nodes, idempotencyKey, config }`: config is the attempt's rendered config. */
  scope: TemplateScope & { idempotencyKey: string; config: unknown };
  signal: AbortSignal;
  clock: Clock;
}

/** applied: the effect happened (`output`: the node's output from the check); else it did not. */
export type VerifyVerdict = { applied: true; output: unknown } | { applied: false; response: unknown };

export interface ModelRequest {
  model: string;
  system?: string;
  messages: { role: 'user' | 'assistant' | 'tool'; content: string }[];
  temperature?: number;
  maxTokens?: number;
  baseURL?: string;
  tools?: { name: string; description?: string; inputSchema?: unknown }[];
  signal: AbortSignal;
  onToken(text: string): void;
}

export interface ModelReply {
  text: string;
  toolCall?: { id: string; name: string; args: unknown };
  usage: Usage;
  costUsd: number;
  model: string;
}

export interface ModelProvider {
  generate(req: ModelRequest): Promise<ModelReply>;
}

/** Lifecycle hooks (runtime.md). A hook that throws is logged and never breaks the run. */
export interface RunHooks {
  onInit?(ctx: HookContext): unknown;
  onProgress?(ctx: HookContext): unknown;
  onRetry?(ctx: HookContext): unknown;
  onSuccess?(ctx: HookContext): unknown;
  onError?(ctx: HookContext): unknown;
  onComplete?(ctx: HookContext): unknown;
}

export interface HookContext {
  runId: RunId;
  graphId: string;
  event: RunEvent;
  status: RunStatus;
  nodeId?: NodeId;
}
