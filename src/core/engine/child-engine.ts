/**
 * What composition nodes' child runs need of the engine that drives their parent (children.ts
 * uses it; the engine, or a replay's record, gives it). Types only, so the engine's context can
 * name it without an import circle.
 */
import type { PauseReason, WaitingChild } from '../events.js';
import type { Graph } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { RunOutcome } from './outcome.js';
import type { RunState } from './state-types.js';

/** How a child run is driven: resumed (with a budget), or only its compensations run. */
export interface ChildDrive {
  resume?: { budget?: { maxTokens?: number; maxCostUsd?: number } };
  compensate?: boolean;
  /** The parent's drive stopped: a child driven elsewhere is no longer waited for. */
  signal?: AbortSignal;
}

/** The parent as a child's creation sees it: its id and what it has spent. */
export interface ChildParent {
  readonly runId: RunId;
  readonly state: Readonly<RunState>;
}

export interface ChildEngine {
  createChild(
    parent: ChildParent,
    childId: RunId,
    graph: Graph,
    input: unknown,
    nodeId: string,
    key: number,
  ): Promise<void>;
  /** `final`: the child's state where this drive left it, when it was driven here (no need to load it again). */
  drive(runId: RunId, opts?: ChildDrive): Promise<RunOutcome & { final?: Readonly<RunState> }>;
  cancel(runId: RunId): Promise<unknown>;
  pause(runId: RunId): Promise<unknown>;
  inspect(runId: RunId): Promise<RunState>;
  /** Resolves the next time a drive of `runId` in this engine settles (a person moved it on). */
  settled(runId: RunId): Promise<void>;
}

/** A child that waits for a person or is paused: its node is blocked on it. */
export interface Blocked extends WaitingChild {
  /** Paused (and why) rather than waiting for a person: `nodeIds` is empty. */
  paused?: PauseReason;
}
