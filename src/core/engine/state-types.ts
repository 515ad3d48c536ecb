/** The shapes of a run's folded state (state.ts folds events into them; event-effects.ts says how). */
import type { NodeError } from '../errors.js';
import type { AgentStep, ChildOf, PauseReason, PollRecord, Usage, WaitingChild } from '../events.js';
import type { RunId } from '../ids.js';
import type { NodeStatus, RunStatus } from '../ports.js';

export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  /**
   * `interrupted`: cut off by a crash (or in doubt); `suspended`: a composition node's attempt
   * that stopped, by design, while its child runs waited for a person (it follows them again).
   */
  status: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'suspended';
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
  waitingChildren?: WaitingChild[];
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
  pauseReason?: PauseReason;
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
