/**
 * Planning: when a node is ready, when it is skipped, which edges are live or dead
 * (docs/graph-format.md "Edges and skips"), and the dry-run plan. Readiness is evaluated only for the
 * children of a node that just finished, so scheduling costs O(edges) for a whole run.
 */
import { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, type Graph, type GraphEdge, type GraphNode } from '../graph/schema.js';
import { kindOf } from '../nodes/registry.js';
import type { Topology } from '../graph/topology.js';
import type { NodeState, RunState } from './state.js';

export type Readiness = { kind: 'wait' } | { kind: 'ready' } | { kind: 'skip'; reason: string; source?: string };

/** The branch a finished condition/approval node took, or undefined for other node types. */
export function branchTaken(node: GraphNode, state: NodeState): boolean | undefined {
  return kindOf(node).branch?.(state.output);
}

export type EdgeState = 'live' | 'dead' | 'failed' | 'pending';

/** The node whose failure an edge carries: its source, or the failed node above a skipped source. */
export function failedOrigin(edge: GraphEdge, state: RunState): string {
  const src = state.nodes.get(edge.source)!;
  return src.status === 'skipped' && src.skipSource ? src.skipSource : edge.source;
}

export function edgeState(edge: GraphEdge, nodes: Map<string, GraphNode>, state: RunState): EdgeState {
  const src = state.nodes.get(edge.source)!;
  switch (src.status) {
    case 'succeeded': {
      if (edge.when === undefined) return 'live';
      return branchTaken(nodes.get(edge.source)!, src) === edge.when ? 'live' : 'dead';
    }
    case 'skipped':
      // Skipped because something above failed: the failure travels on, it is not a branch not taken.
      return src.skipSource ? 'failed' : 'dead';
    case 'failed':
    case 'cancelled':
      return 'failed';
    case 'idle':
    case 'queued':
    case 'running':
    case 'retrying':
    case 'waiting':
    case 'in-doubt':
      return 'pending';
  }
}

/** "None failed, at least one succeeded": whether an idle node can start, must wait, or is skipped. */
export function readiness(nodeId: string, topo: Topology, nodes: Map<string, GraphNode>, state: RunState): Readiness {
  const incoming = topo.incoming.get(nodeId) ?? [];
  if (incoming.length === 0) return { kind: 'ready' };
  let live = 0;
  let pending = false;
  for (const edge of incoming) {
    const s = edgeState(edge, nodes, state);
    if (s === 'failed') {
      const origin = failedOrigin(edge, state);
      return {
        kind: 'skip',
        reason: origin === edge.source ? `source ${origin} failed` : `upstream node ${origin} failed`,
        source: origin,
      };
    }
    if (s === 'pending') pending = true;
    else if (s === 'live') live++;
  }
  if (pending) return { kind: 'wait' };
  return live > 0 ? { kind: 'ready' } : { kind: 'skip', reason: 'branch not taken' };
}

export interface EffectiveRetry {
  maxAttempts: number;
  backoffMs: number;
  strategy: 'exponential' | 'linear' | 'fixed';
  jitter: boolean;
}

export function retryPolicy(graph: Graph, node: GraphNode): EffectiveRetry {
  return {
    ...DEFAULT_RETRY,
    ...stripUndefined(graph.defaults?.retry),
    ...stripUndefined(node.retry),
  };
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Delay before attempt `attempt + 1`, after `attempt` failed (docs/graph-format.md "Retries"). */
export function backoffDelay(policy: EffectiveRetry, attempt: number, random: () => number): number {
  let base: number;
  switch (policy.strategy) {
    case 'exponential':
      base = policy.backoffMs * 2 ** (attempt - 1);
      break;
    case 'linear':
      base = policy.backoffMs * attempt;
      break;
    case 'fixed':
      base = policy.backoffMs;
      break;
  }
  return Math.round(policy.jitter ? base * (1 + 0.5 * random()) : base);
}

export function timeoutFor(graph: Graph, node: GraphNode): number {
  const limit = node.timeoutMs ?? graph.defaults?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return kindOf(node).timeoutMs?.(node.config, limit) ?? limit;
}
