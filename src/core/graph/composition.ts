/**
 * The graphs a graph runs as child runs (docs/composition.md): its library (`graphs`), the
 * references of its subgraph, map and loop nodes, and the rules they keep: every referenced
 * graph is in the library, no graph includes itself (directly or through others), nesting is at
 * most 8 deep, and an input known before the run satisfies the child's input schema.
 */
import type { ValidationIssue } from '../errors.js';
import { findKind } from '../nodes/registry.js';
import type { Graph } from './schema.js';
import { parseTemplateString } from './templates.js';

/** Child runs nest at most this deep (a child's child's … child). */
export const MAX_NESTING = 8;

export interface GraphRef {
  nodeId: string;
  graph: string;
}

/** The child graphs the composition nodes of one graph name. */
export function graphRefs(graph: Pick<Graph, 'nodes'>): GraphRef[] {
  const out: GraphRef[] = [];
  for (const node of graph.nodes) {
    const ref = findKind(node.type)?.childGraph?.(node.config ?? {});
    if (ref !== undefined) out.push({ nodeId: node.id, graph: ref });
  }
  return out;
}

/** Every graph a graph needs, itself and its library's, by the id it is referenced with ('' for the root). */
function graphsOf(root: Graph): Map<string, Graph> {
  const all = new Map<string, Graph>([['', root]]);
  for (const [id, g] of Object.entries(root.graphs ?? {})) all.set(id, g);
  return all;
}

/**
 * The composition rules over a graph and its library. `missing: 'ignore'` leaves references not
 * (yet) in the library alone: the host fills them from the database or files, then checks again.
 */
export function compositionIssues(root: Graph, opts: { missing?: 'refuse' | 'ignore' } = {}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const all = graphsOf(root);
  const edges = new Map<string, string[]>();
  for (const [id, g] of all) {
    // An empty name is refused by the node's config schema; it names no graph (not this one).
    const refs = graphRefs(g).filter((r) => r.graph !== '');
    edges.set(
      id,
      refs.filter((r) => all.has(r.graph)).map((r) => r.graph),
    );
    for (const r of refs) {
      if (!all.has(r.graph) && opts.missing !== 'ignore')
        issues.push({
          path: graphRefPath(id, r.nodeId),
          nodeId: r.nodeId,
          message: missingGraphText(r.graph),
        });
    }
  }
  const cycle = findGraphCycle(edges);
  if (cycle) issues.push({ path: 'graphs', message: `graphs include themselves: ${cycle.map(show).join(' → ')}` });
  else {
    const depth = nestingDepth('', edges, new Map());
    if (depth > MAX_NESTING)
      issues.push({ path: 'graphs', message: `child runs nest ${depth} deep; at most ${MAX_NESTING} are allowed` });
  }
  return issues;
}

const show = (id: string): string => (id === '' ? '(this graph)' : id);

/** Where a composition node names its graph: in the graph itself (`from` '') or in its library's `from`. */
export const graphRefPath = (from: string, nodeId: string): string =>
  `${from === '' ? '' : `graphs[${from}].`}nodes[${nodeId}].config.graph`;

/** The problem of a composition node whose graph no source has. */
export const missingGraphText = (graph: string): string =>
  `graph "${graph}" not found: not in this file's graphs library, not saved in the database, and no such file`;

/** A cycle of graph includes, as the list of graph ids on it (first repeated at the end). */
function findGraphCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'open');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys())
    if (state.get(id) === undefined) {
      const found = visit(id);
      if (found) return found;
    }
  return undefined;
}

/** The longest chain of child runs below `id` (the root counts 0). */
function nestingDepth(id: string, edges: Map<string, string[]>, memo: Map<string, number>): number {
  const known = memo.get(id);
  if (known !== undefined) return known;
  let deepest = 0;
  for (const next of edges.get(id) ?? []) deepest = Math.max(deepest, 1 + nestingDepth(next, edges, memo));
  memo.set(id, deepest);
  return deepest;
}

/** True when a config value holds no template: its value is known before the run. */
export function isStatic(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('{{') || parseTemplateString(value).every((p) => 'text' in p);
  if (Array.isArray(value)) return value.every(isStatic);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isStatic);
  return true;
}
