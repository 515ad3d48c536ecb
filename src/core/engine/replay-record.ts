/**
 * What a run's record says, read for replay: the outcome of every runner call (in the order it
 * was recorded), the actions people and crashes took (and where), and the transitions per node.
 */
import { runStatusAfter } from './machines.js';
import { NodeFailure, type NodeError } from '../errors.js';
import type { RunEvent } from '../events.js';
import type { Graph } from '../graph/schema.js';
import { kindOf } from '../nodes/registry.js';
import type { NodeResult } from '../ports.js';
import type { Decision } from './engine.js';

export type Outcome =
  | { kind: 'ok'; result: NodeResult; tokens: string }
  | { kind: 'fail'; error: NodeError; spent?: NodeFailure['spent'] }
  /** Aborted by a cancel: the replayed call waits for its abort. */
  | { kind: 'cancelled' }
  /** Started, no outcome: the process died during it; the replayed call never returns. */
  | { kind: 'lost' };

export interface RecordedCall {
  /** seq of the event that recorded the outcome. */
  seq: number;
  outcome: Outcome;
  /** Released in recorded order (a runner's outcome, not one the engine makes itself). */
  ordered: boolean;
}

export type Action =
  | { kind: 'approve'; nodeId: string; decision: Decision }
  | { kind: 'pause' }
  | { kind: 'resume'; budget?: { maxTokens?: number; maxCostUsd?: number } }
  | { kind: 'cancel' }
  | { kind: 'retry'; nodeId: string }
  | { kind: 'resolve'; nodeId: string; output: unknown }
  | { kind: 'crash' }
  /** A child run a composition node waited for moved on (a person decided in it): the run goes on. */
  | { kind: 'continue' };

export interface Step {
  seq: number;
  action: Action;
  /** Transitions per node recorded before the action: the replay must have reached them. */
  before: Map<string, number>;
  /** Taken while the run was running (nodes in flight), not while it waited, paused or ended. */
  midFlight: boolean;
}

/** A transition of a node's work (not its tokens, logs, steps, polls, or a restart after a crash). */
export function isTransition(e: RunEvent): boolean {
  if (
    !e.nodeId ||
    e.type === 'node.tokens' ||
    e.type === 'node.log' ||
    e.type === 'agent.step' ||
    e.type === 'node.poll' ||
    e.type === 'node.child' ||
    e.type === 'child.finished'
  )
    return false;
  return !(e.type === 'node.started' && e.data.resumed);
}

export function transitionsByNode(events: RunEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events)
    if (isTransition(e)) (out.get(e.nodeId!) ?? out.set(e.nodeId!, []).get(e.nodeId!)!).push(e.type);
  return out;
}

export const callKey = (nodeId: string, attempt: number, compensation = false): string =>
  `${nodeId}#${compensation ? 'c' : ''}${attempt}`;

/** The outcome of every runner call, by node and attempt (compensations apart). */
export function recordedCalls(graph: Graph, events: RunEvent[]): Map<string, RecordedCall> {
  const effects = new Set(graph.nodes.filter((n) => kindOf(n).execution === 'effect').map((n) => n.id));
  const byRunner = (id: string) => effects.has(id);
  const calls = new Map<string, RecordedCall>();
  const tokens = new Map<string, string>();
  const set = (key: string, seq: number, outcome: Outcome, ordered: boolean) =>
    calls.set(key, { seq, outcome, ordered });
  for (const e of events) {
    if (!e.nodeId) continue;
    const id = e.nodeId;
    switch (e.type) {
      case 'node.started':
      case 'compensation.started': {
        // Started: until an outcome says otherwise, a call the process died in.
        const key = callKey(id, e.data.attempt, e.type === 'compensation.started');
        if (!calls.has(key)) set(key, e.seq, { kind: 'lost' }, false);
        break;
      }
      case 'node.tokens': {
        const key = callKey(id, e.data.attempt);
        tokens.set(key, (tokens.get(key) ?? '') + e.data.text);
        break;
      }
      case 'node.succeeded': {
        if (e.data.reusedFrom !== undefined || e.data.resolved) break;
        const { output, usage, costUsd, model } = e.data;
        const key = callKey(id, e.data.attempt);
        const result: NodeResult = {
          output,
          ...(usage ? { usage } : {}),
          ...(costUsd !== undefined ? { costUsd } : {}),
          ...(model ? { model } : {}),
        };
        set(key, e.seq, { kind: 'ok', result, tokens: tokens.get(key) ?? '' }, byRunner(id));
        break;
      }
      case 'node.retrying':
      case 'node.failed': {
        // node.retrying names the attempt about to start: the failed one is the one before.
        const attempt = e.type === 'node.retrying' ? e.data.attempt - 1 : e.data.attempt;
        const spent = e.data.usage ? { usage: e.data.usage, costUsd: e.data.costUsd ?? 0 } : undefined;
        set(
          callKey(id, attempt),
          e.seq,
          { kind: 'fail', error: e.data.error, ...(spent ? { spent } : {}) },
          byRunner(id) && e.data.error.kind !== 'cancelled',
        );
        break;
      }
      case 'node.cancelled':
        if (e.data.attempt !== undefined) set(callKey(id, e.data.attempt), e.seq, { kind: 'cancelled' }, false);
        break;
      case 'node.in-doubt':
        set(callKey(id, e.data.attempt), e.seq, { kind: 'lost' }, false);
        break;
      case 'compensation.succeeded':
        set(
          callKey(id, e.data.attempt, true),
          e.seq,
          { kind: 'ok', result: { output: e.data.output }, tokens: '' },
          true,
        );
        break;
      case 'compensation.failed':
        set(callKey(id, e.data.attempt, true), e.seq, { kind: 'fail', error: e.data.error }, true);
        break;
      default:
        break;
    }
  }
  return calls;
}

/** What a `verify` check after a crash found (verify.ts), by node and the attempt it checked. */
export type Verdict = { seq: number } & (
  { kind: 'applied'; output: unknown } | { kind: 'absent' } | { kind: 'unanswerable'; error: NodeError }
);

export function recordedVerdicts(events: RunEvent[]): Map<string, Verdict> {
  const out = new Map<string, Verdict>();
  for (const e of events) {
    if (e.type === 'node.succeeded' && e.data.verified)
      out.set(callKey(e.nodeId!, e.data.attempt), { seq: e.seq, kind: 'applied', output: e.data.output });
    else if (e.type === 'node.retrying' && e.data.verified === false)
      out.set(callKey(e.nodeId!, e.data.attempt - 1), { seq: e.seq, kind: 'absent' });
    else if (e.type === 'node.in-doubt' && e.data.verifyError)
      out.set(callKey(e.nodeId!, e.data.attempt), { seq: e.seq, kind: 'unanswerable', error: e.data.verifyError });
  }
  return out;
}

/**
 * Ends the clock makes (a delay's), with the node's transition count at that point: a runner
 * outcome recorded after one is not returned before the replay's clock has made it too.
 */
export function timedEnds(graph: Graph, events: RunEvent[]): { seq: number; nodeId: string; count: number }[] {
  const delays = new Set(graph.nodes.filter((n) => n.type === 'delay').map((n) => n.id));
  const counts = new Map<string, number>();
  const ends: { seq: number; nodeId: string; count: number }[] = [];
  for (const e of events) {
    if (!isTransition(e)) continue;
    const id = e.nodeId!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (e.type === 'node.succeeded' && delays.has(id) && e.data.reusedFrom === undefined)
      ends.push({ seq: e.seq, nodeId: id, count: counts.get(id)! });
  }
  return ends;
}

/** What people (and crashes) did to the run, each with the point of the run where it was done. */
export function recordedSteps(events: RunEvent[]): Step[] {
  const steps: Step[] = [];
  const counts = new Map<string, number>();
  let status = 'queued';
  let cancelling = false;
  let childWaiting = false;
  const add = (seq: number, action: Action) =>
    steps.push({ seq, action, before: new Map(counts), midFlight: status === 'running' });
  for (const e of events) {
    switch (e.type) {
      case 'approval.granted':
      case 'approval.rejected': {
        const { by, comment, data } = e.data;
        const decision: Decision = {
          approved: e.type === 'approval.granted',
          ...(by !== undefined ? { by } : {}),
          ...(comment !== undefined ? { comment } : {}),
          ...(data !== undefined ? { data } : {}),
        };
        add(e.seq, { kind: 'approve', nodeId: e.nodeId!, decision });
        break;
      }
      case 'run.paused':
        // A person's pause, or its host's stop: an action from outside, where it happened.
        if (e.data.reason !== 'budget') add(e.seq, { kind: 'pause' });
        break;
      case 'run.resumed':
        if (status === 'paused') add(e.seq, { kind: 'resume', ...(e.data.budget ? { budget: e.data.budget } : {}) });
        else if (status === 'waiting' && childWaiting) add(e.seq, { kind: 'continue' });
        childWaiting = false;
        break;
      case 'node.waiting':
        childWaiting = true;
        break;
      case 'run.interrupted':
        add(e.seq, { kind: 'crash' });
        break;
      case 'node.requeued':
        add(e.seq, { kind: 'retry', nodeId: e.nodeId! });
        break;
      case 'node.succeeded':
        if (e.data.resolved) add(e.seq, { kind: 'resolve', nodeId: e.nodeId!, output: e.data.output });
        break;
      case 'node.cancelled':
      case 'run.cancelled':
        if (!cancelling) add(e.seq, { kind: 'cancel' });
        cancelling = true;
        break;
      default:
        break;
    }
    status = runStatusAfter(e.type) ?? status;
    if (isTransition(e)) counts.set(e.nodeId!, (counts.get(e.nodeId!) ?? 0) + 1);
  }
  return steps;
}

export function describe(a: Action): string {
  switch (a.kind) {
    case 'approve':
      return `${a.decision.approved ? 'approval' : 'rejection'} of ${a.nodeId}`;
    case 'retry':
    case 'resolve':
      return `${a.kind} of ${a.nodeId}`;
    case 'pause':
    case 'resume':
    case 'cancel':
      return a.kind;
    case 'crash':
      return 'the process crash';
    case 'continue':
      return 'continuation after a child run moved on';
  }
}

export function failureOf(o: Extract<Outcome, { kind: 'fail' }>): NodeFailure {
  const { kind, message, retryable, retryAfterMs, details } = o.error;
  const f = new NodeFailure(kind, message, {
    retryable,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(details !== undefined ? { details } : {}),
  });
  if (o.spent) f.spent = o.spent;
  return f;
}
