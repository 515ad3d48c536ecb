/**
 * The state of one run as the studio shows it, folded from its events (pure). The live-run
 * view builds on this: run status, each node's status, streamed text, attempts.
 */
import type { WireEvent } from '../api/client';

export type RunStatus = 'queued' | 'running' | 'paused' | 'waiting' | 'interrupted' | 'succeeded' | 'failed' | 'cancelled';
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

export interface NodeRun {
  status: NodeStatus;
  attempt: number;
  stream: string;
  output?: unknown;
  error?: { kind: string; message: string };
}

export interface RunView {
  runId: string;
  status: RunStatus;
  lastSeq: number;
  nodes: Record<string, NodeRun>;
  result?: unknown;
  error?: { kind: string; message: string };
}

export const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export const newRunView = (runId: string): RunView => ({ runId, status: 'queued', lastSeq: 0, nodes: {} });

const RUN_STATUS: Partial<Record<string, RunStatus>> = {
  'run.created': 'queued',
  'run.started': 'running',
  'run.paused': 'paused',
  'run.resumed': 'running',
  'run.waiting': 'waiting',
  'run.interrupted': 'interrupted',
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
  'run.retried': 'running',
};

const NODE_STATUS: Partial<Record<string, NodeStatus>> = {
  'node.queued': 'queued',
  'node.started': 'running',
  'node.retrying': 'retrying',
  'node.succeeded': 'succeeded',
  'node.failed': 'failed',
  'node.skipped': 'skipped',
  'node.cancelled': 'cancelled',
  'node.in-doubt': 'in-doubt',
  'node.requeued': 'queued',
  'node.reset': 'idle',
  'approval.requested': 'waiting',
};

type Data = Record<string, unknown>;

/** Folds events (in seq order; older or repeated seqs are ignored) into a new view. */
export function reduceRun(view: RunView, events: readonly WireEvent[]): RunView {
  let v = view;
  for (const e of events) {
    if (e.seq <= v.lastSeq) continue;
    const d = (e.data ?? {}) as Data;
    v = { ...v, lastSeq: e.seq };
    const rs = RUN_STATUS[e.type];
    if (rs) {
      // waiting ends when the approval is decided: the run is running again
      v.status = rs;
      if (e.type === 'run.succeeded') v.result = d['result'];
      if (e.type === 'run.failed') v.error = d['error'] as RunView['error'];
    }
    if ((e.type === 'approval.granted' || e.type === 'approval.rejected') && v.status === 'waiting') v.status = 'running';
    if (!e.nodeId) continue;
    const prev = v.nodes[e.nodeId] ?? { status: 'idle', attempt: 0, stream: '' };
    const next: NodeRun = { ...prev };
    const ns = NODE_STATUS[e.type];
    if (ns) next.status = ns;
    if (e.type === 'node.started') {
      next.attempt = Number(d['attempt'] ?? prev.attempt + 1);
      next.stream = '';
      delete next.error;
    }
    if (e.type === 'node.tokens') next.stream = prev.stream + String(d['text'] ?? '');
    if (e.type === 'node.succeeded') next.output = d['output'];
    if (e.type === 'node.failed') next.error = d['error'] as NodeRun['error'];
    v.nodes = { ...v.nodes, [e.nodeId]: next };
  }
  return v;
}
