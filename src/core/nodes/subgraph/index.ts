/** `subgraph`: runs another graph as one child run; its output is the child run's result. */
import * as z from 'zod';
import { errorMessageOf, NodeFailure } from '../../errors.js';
import type { ChildOutcome, NodeRunContext } from '../../ports.js';
import { defineKind } from '../kind.js';

/** What an empty `graph` (a new node's) says: the node runs nothing until a graph is chosen. */
export const CHOOSE_GRAPH = "choose the graph to run: the id of a graph in this file's library or of a saved graph";

/** A composition node's `graph`: a name, not empty (a refine, so the problem says what to do). */
export const GraphRefSchema = z.string().refine((g) => g !== '', { message: CHOOSE_GRAPH });

export const SubgraphConfigSchema = z.object({ graph: GraphRefSchema, input: z.unknown().optional() }).passthrough();

/** The child runs of this node (the engine gives them to every composition node). */
export function childRuns(ctx: NodeRunContext): NonNullable<NodeRunContext['children']> {
  if (!ctx.children)
    throw new NodeFailure('internal', `${ctx.node.id}: this host cannot run child runs`, { retryable: false });
  return ctx.children;
}

/** A child that did not succeed, as the failure of its parent node. */
export function childFailure(nodeId: string, o: ChildOutcome, what: string): NodeFailure {
  // The kind once, whether or not the child's message already starts with it.
  const why = o.error ? `${o.error.kind}: ${errorMessageOf(o.error)}` : o.status;
  const kind = o.error?.kind ?? 'cancelled';
  return new NodeFailure(kind, `${nodeId}: ${what} (child run ${o.runId}) ${o.status}: ${why}`, {
    retryable: o.error?.retryable ?? false,
    details: { childRunId: o.runId },
  });
}

/** The `graph` field: a graph of the file's library, a saved graph, or a file next to the parent. */
export const graphField = {
  key: 'graph',
  label: 'Graph',
  input: 'text',
  hint: "a graph of this file's library, a saved graph, or ./file.json",
} as const;

export const subgraphKind = defineKind({
  type: 'subgraph',
  label: 'Subgraph',
  hint: 'Run another graph',
  configSchema: SubgraphConfigSchema,
  // No graph: one that exists is for the author to choose (an empty one says so, CHOOSE_GRAPH).
  defaultConfig: () => ({ graph: '', input: '{{input}}' }),
  defaultSideEffect: () => 'idempotent',
  execution: 'children',
  children: { atMost: () => 1, input: 'input' },
  childGraph: (config) => (typeof config['graph'] === 'string' ? config['graph'] : undefined),
  runner: async (ctx) => {
    const o = await childRuns(ctx).run(0, String(ctx.config['graph']), ctx.config['input'] ?? {});
    if (o.status !== 'succeeded') throw childFailure(ctx.node.id, o, 'the subgraph');
    return { output: o.result };
  },
  panel: [
    graphField,
    { key: 'input', label: 'Input', input: 'json', optional: true, hint: 'template: the child run input', rows: 4 },
  ],
});
