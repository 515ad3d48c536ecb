/** What a run driver needs from its engine: the ports plus engine settings. */
import type { RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import type { ChildEngine } from './child-engine.js';
import type { Clock, LeaseOwner, NodeRunner, RunHooks, RunnerServices, RunStore } from '../ports.js';

export type { RunOutcome } from './outcome.js';

/** Runners by node type: the host's (or its wrappers of the core's) for the kinds that have effects. */
export type RunnerRegistry = Partial<Record<string, NodeRunner>>;

export interface EngineDeps {
  store: RunStore;
  clock: Clock;
  /** Runners for the node types that do work (llm, http, code, agent); the engine handles the rest. */
  runners: RunnerRegistry;
  services?: RunnerServices;
  hooks?: RunHooks;
  /** Called when a hook throws; the run goes on. */
  onHookError?: (hook: string, err: unknown) => void;
  random?: () => number;
  owner: LeaseOwner;
  /** Streamed text is committed at least this often (ms). */
  tokenFlushMs?: number;
  /** How often a driver looks for pause/cancel requests left by other processes (ms). */
  controlPollMs?: number;
  /**
   * Group commit (default on): the ends of pure in-process nodes that run together share one
   * transaction. Off: every node's end commits alone (one transaction per transition).
   */
  groupCommit?: boolean;
  /**
   * While a read is in flight (a node whose runner began before its start was written),
   * transitions no one awaits (a node's end, the start of a read) are written this many ms after
   * the first of them is staged, together with those staged meanwhile, instead of after the host's
   * next turn (default 0: always the next turn). What waits for
   * durability (an effect's start, a run's end, a pause) is written at once all the same; a
   * linger only delays when transitions are seen, and what a crash may redo (reads, pure nodes).
   */
  commitLingerMs?: number;
  /** Where composition nodes' child runs come from (default: this engine runs them). Replay gives its record. */
  childEngine?: ChildEngine;
  /** The hash a run stores with its graph snapshot (the host's content hash); child runs use it. */
  hashGraph?: (graph: Graph) => string;
}

export type EventListener = (events: RunEvent[]) => void;
