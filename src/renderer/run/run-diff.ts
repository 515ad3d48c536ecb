/** The diff of two runs (pure): per node, whether its output changed, and token, cost and latency deltas. */
import type { Graph } from '../../core/graph/schema';
import type { DiffMark } from '../canvas/node-source';
import type { NodeSnapshot, RunSnapshot } from '../run/fold';
import { jsonEqual } from '../ui/json-diff';

export interface NodeMetrics {
  status: string;
  output: unknown;
  tokens: number;
  costUsd: number;
  /** Sum of the attempts' durations. */
  ms: number;
}

export interface NodeDiff {
  nodeId: string;
  mark: DiffMark;
  a?: NodeMetrics;
  b?: NodeMetrics;
}

function metrics(n: NodeSnapshot | undefined): NodeMetrics | undefined {
  if (!n) return undefined;
  let tokens = 0;
  let costUsd = 0;
  let ms = 0;
  for (const a of n.attempts) {
    if (a.usage) tokens += a.usage.inputTokens + a.usage.outputTokens;
    costUsd += a.costUsd ?? 0;
    if (a.finishedAt !== undefined) ms += a.finishedAt - a.startedAt;
  }
  return { status: n.status, output: n.output, tokens, costUsd, ms };
}

/** Every node of either graph (B's order first), marked changed when its output or final status differs. */
export function diffRuns(graphA: Graph, a: RunSnapshot, graphB: Graph, b: RunSnapshot): NodeDiff[] {
  const ids = [...new Set([...graphB.nodes.map((n) => n.id), ...graphA.nodes.map((n) => n.id)])];
  return ids.map((nodeId) => {
    const ma = graphA.nodes.some((n) => n.id === nodeId) ? metrics(a.nodes[nodeId]) : undefined;
    const mb = graphB.nodes.some((n) => n.id === nodeId) ? metrics(b.nodes[nodeId]) : undefined;
    const mark: DiffMark = !ma
      ? 'only-b'
      : !mb
        ? 'only-a'
        : ma.status !== mb.status || !jsonEqual(ma.output, mb.output)
          ? 'changed'
          : 'same';
    return { nodeId, mark, ...(ma ? { a: ma } : {}), ...(mb ? { b: mb } : {}) };
  });
}
