/**
 * The run and node lifecycles as XState v5 machines (docs/runtime.md "States").
 * Every event the engine commits is first checked against these machines, so an illegal
 * transition (resume a succeeded run, approve a node that is not waiting) is refused and
 * changes nothing. The machines have no context or guards, so their transition function is
 * pure in (state, event); it is tabulated once at load so the hot path is a map lookup.
 */
import { createMachine, getNextSnapshot } from 'xstate';
import { AppError } from '../errors.js';
import type { RunEventType } from '../events.js';
import type { NodeStatus, RunStatus } from '../ports.js';

export const runMachine = createMachine({
  id: 'run',
  initial: 'queued',
  states: {
    queued: { on: { START: 'running', CANCEL: 'cancelled', FAIL: 'failed', INTERRUPT: 'interrupted' } },
    running: {
      on: {
        PAUSE: 'paused',
        WAIT: 'waiting',
        SUCCEED: 'succeeded',
        FAIL: 'failed',
        CANCEL: 'cancelled',
        INTERRUPT: 'interrupted',
      },
    },
    paused: { on: { RESUME: 'running', CANCEL: 'cancelled', INTERRUPT: 'interrupted' } },
    waiting: { on: { RESUME: 'running', PAUSE: 'paused', CANCEL: 'cancelled', INTERRUPT: 'interrupted' } },
    interrupted: { on: { RESUME: 'running', CANCEL: 'cancelled' } },
    succeeded: { type: 'final' },
    // A failed run can be continued by retrying one of its failed nodes.
    failed: { on: { RETRY: 'running' } },
    cancelled: { type: 'final' },
  },
});

export const nodeMachine = createMachine({
  id: 'node',
  initial: 'idle',
  states: {
    idle: { on: { QUEUE: 'queued', SKIP: 'skipped', CANCEL: 'cancelled', REUSE: 'succeeded' } },
    queued: { on: { START: 'running', SKIP: 'skipped', CANCEL: 'cancelled' } },
    running: {
      on: {
        START: 'running', // the same attempt started again after a crash
        RETRY: 'retrying',
        WAIT: 'waiting',
        SUCCEED: 'succeeded',
        FAIL: 'failed',
        CANCEL: 'cancelled',
        DOUBT: 'in-doubt',
      },
    },
    retrying: { on: { START: 'running', CANCEL: 'cancelled', FAIL: 'failed' } },
    // START: a node that waited for its child runs goes on once they can.
    waiting: { on: { DECIDE: 'waiting', SUCCEED: 'succeeded', FAIL: 'failed', CANCEL: 'cancelled', START: 'running' } },
    'in-doubt': { on: { SUCCEED: 'succeeded', REQUEUE: 'queued', CANCEL: 'cancelled' } },
    succeeded: {},
    failed: { on: { REQUEUE: 'queued' } },
    // A node skipped because a source failed goes back to idle when that source is retried.
    skipped: { on: { RESET: 'idle' } },
    cancelled: {},
  },
});

type Machine = typeof runMachine | typeof nodeMachine;

function tabulate<S extends string>(machine: Machine, states: readonly S[], events: readonly string[]) {
  const table = new Map<string, S>();
  for (const state of states) {
    const snapshot = machine.resolveState({ value: state, context: {} });
    for (const type of events) {
      if (!snapshot.can({ type })) continue;
      const next = getNextSnapshot(machine, snapshot, { type });
      table.set(`${state}|${type}`, next.value as S);
    }
  }
  return table;
}

/** Every run status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'paused',
  'waiting',
  'interrupted',
  'succeeded',
  'failed',
  'cancelled',
];
/** Every node status, in lifecycle order. */
export const NODE_STATUSES: readonly NodeStatus[] = [
  'idle',
  'queued',
  'running',
  'retrying',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
  'in-doubt',
];
const RUN_TABLE = tabulate(runMachine, RUN_STATUSES, [
  'START',
  'PAUSE',
  'WAIT',
  'SUCCEED',
  'FAIL',
  'CANCEL',
  'INTERRUPT',
  'RESUME',
  'RETRY',
]);
const NODE_TABLE = tabulate(nodeMachine, NODE_STATUSES, [
  'QUEUE',
  'SKIP',
  'CANCEL',
  'REUSE',
  'START',
  'RETRY',
  'WAIT',
  'SUCCEED',
  'FAIL',
  'DOUBT',
  'DECIDE',
  'REQUEUE',
  'RESET',
]);

/** The machine event a run-level event type drives, or null for events that do not move the run. */
export function runMachineEvent(type: RunEventType): string | null {
  switch (type) {
    case 'run.started':
      return 'START';
    case 'run.paused':
      return 'PAUSE';
    case 'run.resumed':
      return 'RESUME';
    case 'run.waiting':
      return 'WAIT';
    case 'run.interrupted':
      return 'INTERRUPT';
    case 'run.succeeded':
      return 'SUCCEED';
    case 'run.failed':
      return 'FAIL';
    case 'run.cancelled':
      return 'CANCEL';
    case 'run.retried':
      return 'RETRY';
    default:
      return null;
  }
}

/** The machine event a node-level event type drives, or null for events that do not move the node. */
export function nodeMachineEvent(type: RunEventType, data: { reusedFrom?: string } = {}): string | null {
  switch (type) {
    case 'node.queued':
      return 'QUEUE';
    case 'node.started':
      return 'START';
    case 'node.retrying':
      return 'RETRY';
    case 'approval.requested':
    case 'node.waiting':
      return 'WAIT';
    case 'approval.granted':
    case 'approval.rejected':
      return 'DECIDE';
    case 'node.succeeded':
      return data.reusedFrom ? 'REUSE' : 'SUCCEED';
    case 'node.failed':
      return 'FAIL';
    case 'node.skipped':
      return 'SKIP';
    case 'node.cancelled':
      return 'CANCEL';
    case 'node.in-doubt':
      return 'DOUBT';
    case 'node.requeued':
      return 'REQUEUE';
    case 'node.reset':
      return 'RESET';
    default:
      return null;
  }
}

export function nextRunStatus(from: RunStatus, machineEvent: string): RunStatus {
  const to = RUN_TABLE.get(`${from}|${machineEvent}`);
  if (!to)
    throw new AppError('illegal-transition', `illegal transition: a ${from} run cannot ${machineEvent.toLowerCase()}`);
  return to;
}

export function nextNodeStatus(nodeId: string, from: NodeStatus, machineEvent: string): NodeStatus {
  const to = NODE_TABLE.get(`${from}|${machineEvent}`);
  if (!to)
    throw new AppError(
      'illegal-transition',
      `illegal transition: node ${nodeId} is ${from} and cannot ${machineEvent.toLowerCase()}`,
    );
  return to;
}

export const canRun = (from: RunStatus, machineEvent: string): boolean => RUN_TABLE.has(`${from}|${machineEvent}`);

/** The one status each machine event leads to, whatever the state it is taken from. */
function targets<S extends string>(table: Map<string, S>): Map<string, S> {
  const out = new Map<string, S>();
  for (const [key, to] of table) {
    const event = key.slice(key.indexOf('|') + 1);
    const seen = out.get(event);
    if (seen !== undefined && seen !== to) throw new Error(`machine event ${event} leads to ${seen} and ${to}`);
    out.set(event, to);
  }
  return out;
}
const RUN_TARGET = targets(RUN_TABLE);
const NODE_TARGET = targets(NODE_TABLE);

/**
 * The status of a run after a run-level event (events that do not move the run: undefined).
 * For projections and views that follow a log without checking it (the engine checks it).
 */
export function runStatusAfter(type: RunEventType): RunStatus | undefined {
  const m = runMachineEvent(type);
  return m === null ? undefined : RUN_TARGET.get(m);
}

/** The status of a node after a node-level event (events that do not move the node: undefined). */
export function nodeStatusAfter(type: RunEventType, data: { reusedFrom?: string } = {}): NodeStatus | undefined {
  const m = nodeMachineEvent(type, data);
  return m === null ? undefined : NODE_TARGET.get(m);
}

/** What a person can do to a whole run. */
export type RunControl = 'pause' | 'resume' | 'cancel' | 'rerun';

/** Whether a person's control applies to a run in this status (the buttons a view offers). */
export function canControl(status: RunStatus, control: RunControl): boolean {
  switch (control) {
    case 'pause':
      // A queued run is started and paused at once.
      return status === 'queued' || canRun(status, 'PAUSE');
    case 'resume':
      return status === 'paused' || status === 'interrupted';
    case 'cancel':
      return !isTerminalRun(status);
    case 'rerun':
      return isTerminalRun(status);
  }
}
export const canNode = (from: NodeStatus, machineEvent: string): boolean => NODE_TABLE.has(`${from}|${machineEvent}`);
export const isTerminalRun = (s: RunStatus): boolean => s === 'succeeded' || s === 'failed' || s === 'cancelled';
export const isFinishedNode = (s: NodeStatus): boolean =>
  s === 'succeeded' || s === 'failed' || s === 'skipped' || s === 'cancelled';
