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
export type ControlRequest = { kind: 'pause' } | { kind: 'cancel' } | { kind: 'resume' };

export interface NewRun {
  runId: RunId;
  graph: Graph;
  graphHash: string;
  /** Events to commit with the run row, starting with `run.created`. */
  events: NewEvent[];
  /**
   * An idempotency key (the HTTP API's start): the run is created only if no run holds the key,
   * in the same transaction; else the store throws KeyTakenError naming the run that does.
   */
  idempotencyKey?: { key: string; requestHash?: string };
}

/**
 * The right to write to a run: held by one driver at a time. `epoch` grows at every acquisition,
 * so a process that lost its lease (paused by the OS past it, cut off) is fenced: its next
 * write names an old epoch and is refused.
 */
export interface Lease {
  owner: LeaseOwner;
  epoch: number;
  /**
   * Set by acquireLease when the run's previous holder released it (handed it off, or stopped)
   * rather than died holding it: a run left `running` that way was not interrupted by a crash.
   */
  released?: boolean;
}

/** What every append must match inside its transaction, or it writes nothing (AppError 'fenced'). */
export interface Fence {
  /** The lease epoch the writer holds. */
  epoch: number;
  /** The seq of the run's last event the writer knows: the batch's first event is `afterSeq + 1`. */
  afterSeq: number;
}

/**
 * Durable storage of runs. Asynchronous, so a store may be a server (PostgreSQL); the engine
 * stages events in memory and awaits their commit before anyone observes them or any runner
 * with an effect starts on their account (CommitLog).
 */
export interface RunStore {
  /** Creates the run, stores its graph snapshot and commits its first events, atomically. */
  createRun(run: NewRun): Promise<RunEvent[]>;
  /**
   * Commits events in one transaction, numbered from `fence.afterSeq + 1`, if the run's head is
   * `fence.afterSeq` and its lease epoch `fence.epoch`; else throws AppError('fenced') and
   * writes nothing. Returns the events as committed.
   */
  append(runId: RunId, events: NewEvent[], fence: Fence): Promise<RunEvent[]>;
  /** The graph snapshot a run runs, and its whole event log. Throws AppError('not-found'). */
  loadRun(runId: RunId): Promise<{ graph: Graph; events: RunEvent[] }>;
  /**
   * createRun with the run's lease taken for `owner` in the same transaction (epoch 1): a run
   * this process creates to drive at once (a map's child) saves the transaction of acquiring it.
   * Optional: without it the engine creates, then acquires.
   */
  createLeased?(run: NewRun, owner: LeaseOwner): Promise<{ events: RunEvent[]; lease: Lease }>;
  /** Takes the run for this owner (a new epoch). Undefined when a live process holds it. */
  acquireLease(runId: RunId, owner: LeaseOwner): Promise<Lease | undefined>;
  /** Extends the lease; throws AppError('fenced') when it was taken over. */
  renewLease(runId: RunId, lease: Lease): Promise<void>;
  releaseLease(runId: RunId, lease: Lease): Promise<void>;
  /** Takes (and deletes) pending control requests for a run. */
  takeControls(runId: RunId): Promise<ControlRequest[]>;
  /** Leaves a control request for the process that drives the run. */
  requestControl(runId: RunId, kind: ControlRequest['kind']): Promise<void>;
  /**
   * Calls `wake` soon after a control is requested for the run from any process (a store that
   * can notify, e.g. LISTEN/NOTIFY); the driver then takes it at once instead of at its next poll.
   */
  watchControls?(runId: RunId, wake: () => void): () => void;
  /**
   * Wakes the watchers of the run (watchControls) in every process: a drive of it settled (it
   * ended, waits or paused). A parent whose children other processes drive waits for this.
   */
  announce?(runId: RunId): Promise<void>;
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
  /**
   * The time limit of this attempt (the node's `timeoutMs`, else the graph's default); the signal
   * aborts at it. In-process work (a condition's expression) is bounded by it too.
   */
  timeoutMs: number;
  clock: Clock;
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
  /** Commits one finished agent step; resolves once it is durable (before the loop goes on). */
  recordStep(step: AgentStep): Promise<void>;
  /**
   * Agent budgets: true when the run's budget is spent, counting `spent` (what this node used
   * and has not committed as its result yet): the next model call must not start. The runner
   * then throws kind `budget`, and the engine pauses the run (resuming continues the loop).
   */
  overBudget?(spent: { tokens: number; costUsd: number }): boolean;
  /** Composition nodes (subgraph, map, loop): their child runs. */
  children?: ChildRuns;
  /** Polled http nodes: the record committed by an earlier attempt or process, if any. */
  poll?: PollRecord;
  /** Commits a `node.poll` record (the submit, then each poll); resolves once it is durable. */
  recordPoll?(record: Omit<PollRecord, 'attempt'>): Promise<void>;
  services: RunnerServices;
}

/** How a composition node runs other graphs: as child runs of its run (docs/composition.md). */
export interface ChildRuns {
  /**
   * Runs graph `graphId` of the run's library with `input` as this node's child at `key` (a map
   * item's index, a loop's iteration, 0 for a subgraph) and resolves with how it ended. Durable:
   * the child's id is committed in this run before the child exists, and a child an earlier
   * attempt (or process) finished is not run again: its outcome is returned. Rejects only when
   * the node is stopped (a cancel of the run, the driver stopping).
   */
  run(key: number, graphId: string, input: unknown): Promise<ChildOutcome>;
  /** Cancels the running children (the node failed or finished without them). */
  cancelRunning(): Promise<void>;
}

export interface ChildOutcome {
  /** The child run (none when its input was refused before it could be created). */
  runId?: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  result?: unknown;
  error?: NodeError;
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
  /** Sends an http node's request (the host's default client, seen through its circuit breakers). */
  http?: HttpTransport;
  /**
   * Runs an http node's `verify` check once (after a crash, for the attempt that was in flight).
   * Resolves with the verdict; throws a NodeFailure when the check cannot answer (retryable:
   * network, 5xx, 429, a timeout; not: a template or expression that fails).
   */
  verifyEffect?(req: VerifyRequest): Promise<VerifyVerdict>;
}

/** One HTTP request of an http node, its config rendered. */
export interface HttpCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** Its reply: the status and headers, and the body read on demand. */
export interface HttpReply {
  status: number;
  statusText: string;
  /** Lower-case names; a repeated header's values joined with `, `. */
  headers: Record<string, string>;
  /** The body, decoded; rejects (the host's TooLarge) as soon as more than `cap` bytes arrive. */
  bytes(cap: number): Promise<Uint8Array>;
  /** Drops the body unread. */
  discard(): Promise<void>;
}

export type HttpTransport = (call: HttpCall) => Promise<HttpReply>;

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

/** Lifecycle hooks (docs/runtime.md "Hooks"). A hook that throws is logged and never breaks the run. */
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
