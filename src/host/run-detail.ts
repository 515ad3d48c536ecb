/** What `inspect` shows: a run's state folded from its log, as the contract's RunDetail. */
import type { NodeDetail, RunDetail } from '../contract/run-detail.js';
import { AppError } from '../core/errors.js';
import type { Graph } from '../core/graph/schema.js';
import { asRunId, type RunId } from '../core/ids.js';
import { foldEvents, nodeDurationMs, nodeUsage, type RunState } from '../core/engine/state.js';
import type { Store } from './store/index.js';

export type { NodeDetail, RunDetail };

export function toRunDetail(graph: Graph, s: RunState): RunDetail {
  const nodes: NodeDetail[] = graph.nodes.map((g) => {
    const n = s.nodes.get(g.id)!;
    const { tokens, costUsd } = nodeUsage(n);
    const d: NodeDetail = {
      nodeId: g.id,
      type: g.type,
      status: n.status,
      attempt: n.attempt,
      attempts: n.attempts,
      tokens,
      costUsd,
      logs: n.logs,
    };
    if (g.label) d.label = g.label;
    const durationMs = nodeDurationMs(n);
    if (durationMs !== undefined) d.durationMs = durationMs;
    if (n.input !== undefined) d.input = n.input;
    if (n.output !== undefined) d.output = n.output;
    if (n.error) d.error = n.error;
    if (n.skipReason) d.skipReason = n.skipReason;
    if (n.stream) d.stream = n.stream;
    if (n.approval) d.approval = n.approval;
    if (n.waitingChildren && n.status === 'waiting') d.waitingChildren = n.waitingChildren;
    if (n.compensation) d.compensation = n.compensation;
    if (n.poll) {
      const open = n.status === 'running' || n.status === 'retrying' || n.status === 'queued';
      d.poll = {
        polls: n.poll.polls,
        submittedAt: new Date(n.poll.since).toISOString(),
        ...(open ? { nextPollAt: new Date(n.poll.nextPollAt).toISOString() } : {}),
        ...(n.poll.last !== undefined ? { last: n.poll.last } : {}),
      };
    }
    return d;
  });
  const detail: RunDetail = {
    runId: s.runId,
    graphId: s.graphId,
    status: s.status,
    input: s.input,
    tokens: s.tokens,
    costUsd: s.costUsd,
    lastSeq: s.seq,
    nodes,
  };
  if (graph.name) detail.graphName = graph.name;
  if (s.result !== undefined) detail.result = s.result;
  if (s.error) detail.error = s.error;
  if (s.failedNodeId) detail.failedNodeId = s.failedNodeId;
  if (s.createdAt) detail.createdAt = s.createdAt;
  if (s.startedAt) detail.startedAt = s.startedAt;
  if (s.finishedAt) detail.finishedAt = s.finishedAt;
  if (s.startedAt && s.finishedAt) detail.durationMs = Date.parse(s.finishedAt) - Date.parse(s.startedAt);
  if (s.compensated !== undefined) detail.compensated = s.compensated;
  if (s.pauseReason && s.status === 'paused') detail.pauseReason = s.pauseReason;
  if (s.rerunOf) detail.rerunOf = s.rerunOf;
  if (s.parent) detail.parent = s.parent;
  return detail;
}

/** The id of a run the store holds; AppError('not-found') naming the database otherwise. */
export async function knownRun(store: Store, runId: string): Promise<RunId> {
  if (!(await store.getRunRow(runId)))
    throw new AppError('not-found', `run ${runId} not found in ${store.displayName}`);
  return asRunId(runId);
}

/** A run's detail straight from the store (its log folded): no engine needed. */
export async function inspectRun(store: Store, runId: string): Promise<RunDetail> {
  const id = await knownRun(store, runId);
  const { graph, events } = await store.loadRun(id);
  const detail = toRunDetail(graph, foldEvents(id, graph, events));
  // Handed to workers and not claimed yet (PostgreSQL): the row says `queued`, the log `running`.
  if (detail.status === 'running' && (await store.getRunRow(id))?.status === 'queued') detail.status = 'queued';
  return detail;
}
