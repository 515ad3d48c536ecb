/**
 * Graph structure: cycle detection, a stable topological order, and memoized
 * ancestor/descendant queries (reach.ts: bitsets, so asking for every node of a 5 000-node graph
 * stays fast). `topology` is three steps: link the edges, order the nodes, answer reach questions.
 */
import { AppError } from '../errors.js';
import { Reach, type Vertex } from './reach.js';
import type { Graph, GraphEdge } from './schema.js';

/**
 * The nodes of one cycle, in edge order (`[a, b, c]` for a -> b -> c -> a), or null when the
 * graph is acyclic. Edges naming unknown nodes are ignored. Deterministic: the search starts
 * from nodes in the given order and follows edges in the given order.
 */
export function findCycle(nodeIds: string[], edges: { source: string; target: string }[]): string[] | null {
  interface Step {
    id: string;
    next: Step[];
    /** The next of `next` to follow. */
    cursor: number;
  }
  const byId = new Map<string, Step>();
  for (const id of nodeIds) if (!byId.has(id)) byId.set(id, { id, next: [], cursor: 0 });
  for (const e of edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (s && t) s.next.push(t);
  }
  // absent = unvisited, 'open' = on the DFS stack, 'done'
  const color = new Map<Step, 'open' | 'done'>();
  for (const root of byId.values()) {
    if (color.has(root)) continue;
    const stack = [root];
    color.set(root, 'open');
    for (let v = stack.at(-1); v; v = stack.at(-1)) {
      const w = v.next[v.cursor++];
      if (w === undefined) {
        color.set(v, 'done');
        stack.pop();
      } else if (color.get(w) === 'open') return stack.slice(stack.indexOf(w)).map((x) => x.id);
      else if (!color.has(w)) {
        color.set(w, 'open');
        stack.push(w);
      }
    }
  }
  return null;
}

/** `a -> b -> c -> a` for a cycle `[a, b, c]`. */
export function formatCycle(cycle: string[]): string {
  return [...cycle, cycle[0]].join(' -> ');
}

export interface Topology {
  /** Node ids in topological order; ties are broken by order of appearance in `graph.nodes`. */
  order: string[];
  incoming: Map<string, GraphEdge[]>;
  outgoing: Map<string, GraphEdge[]>;
  /** Every node with a path to `id` (not `id` itself). A fresh Set on each call. */
  ancestors(id: string): Set<string>;
  /** Every node reachable from `id` (not `id` itself). A fresh Set on each call. */
  descendants(id: string): Set<string>;
  /** Whether `ancestor` has a path to `id`, in O(1) once memoized. */
  isAncestor(ancestor: string, id: string): boolean;
}

/** Nodes ready to be ordered, the one first in `graph.nodes` on top (a stable order). */
class ReadyHeap {
  private readonly a: Vertex[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: Vertex): void {
    const a = this.a;
    let i = a.length;
    a.push(x);
    for (let parent = a[(i - 1) >> 1]; i > 0 && parent && parent.i > x.i; parent = a[(i - 1) >> 1]) {
      a[i] = parent;
      i = (i - 1) >> 1;
    }
    a[i] = x;
  }
  pop(): Vertex | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = a[2 * i + 1];
      const r = a[2 * i + 2];
      const [c, at] = r && l && r.i < l.i ? [r, 2 * i + 2] : [l, 2 * i + 1];
      if (!c || c.i >= last.i) break;
      a[i] = c;
      i = at;
    }
    a[i] = last;
    return top;
  }
}

/** A node of the graph with its edges, as the steps of `topology` build it. */
interface Linked extends Vertex {
  readonly parents: Vertex[];
  readonly children: Vertex[];
  readonly incoming: GraphEdge[];
  readonly outgoing: GraphEdge[];
}

/**
 * Step 1: every node with its edges (by id: a repeated id names its last node, as validateGraph
 * refuses it before anything runs); an edge naming a missing node is refused.
 */
function link(graph: Graph): { nodes: Linked[]; byId: Map<string, Linked> } {
  const nodes = graph.nodes.map(({ id }, i): Linked => ({
    id,
    i,
    parents: [],
    children: [],
    incoming: [],
    outgoing: [],
  }));
  const byId = new Map(nodes.map((v) => [v.id, v]));
  for (const e of graph.edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (!s || !t) {
      const missing = s ? e.target : e.source;
      throw new AppError('validation', `edges[${e.id}]: node "${missing}" does not exist`, [
        { path: `edges[${e.id}]`, message: `node "${missing}" does not exist`, edgeId: e.id },
      ]);
    }
    s.outgoing.push(e);
    t.incoming.push(e);
    s.children.push(t);
    t.parents.push(s);
  }
  return { nodes, byId };
}

/** Step 2: the nodes in topological order, ties by order in `graph.nodes` (Kahn); a cycle is refused. */
function sortNodes(graph: Graph, nodes: readonly Vertex[]): Vertex[] {
  const waiting = new Map(nodes.map((v) => [v, v.parents.length]));
  const heap = new ReadyHeap();
  for (const v of nodes) if (v.parents.length === 0) heap.push(v);
  const order: Vertex[] = [];
  for (let v = heap.pop(); v; v = heap.pop()) {
    order.push(v);
    for (const w of v.children) {
      const left = (waiting.get(w) ?? 0) - 1;
      waiting.set(w, left);
      if (left === 0) heap.push(w);
    }
  }
  if (order.length < nodes.length) {
    const cycle = findCycle(
      nodes.map((v) => v.id),
      graph.edges,
    );
    const text = formatCycle(cycle ?? []);
    throw new AppError('validation', `edges: the graph has a cycle: ${text}`, [
      { path: 'edges', message: `the graph has a cycle: ${text}`, ...(cycle?.[0] ? { nodeId: cycle[0] } : {}) },
    ]);
  }
  return order;
}

/**
 * The topology of an acyclic graph. Throws AppError('validation') when an edge names a
 * missing node or the graph has a cycle (validateGraph reports those first, with detail).
 */
export function topology(graph: Graph): Topology {
  const { nodes, byId } = link(graph);
  const order = sortNodes(graph, nodes);
  // Step 3: reach questions, answered from bitsets built on first use.
  const reach = new Reach(nodes, order);
  const node = (id: string): Linked => {
    const v = byId.get(id);
    if (!v) throw new AppError('not-found', `unknown node "${id}"`);
    return v;
  };
  return {
    order: order.map((v) => v.id),
    incoming: new Map([...byId].map(([id, v]) => [id, v.incoming])),
    outgoing: new Map([...byId].map(([id, v]) => [id, v.outgoing])),
    ancestors: (id) => reach.ancestors(node(id)),
    descendants: (id) => reach.descendants(node(id)),
    isAncestor: (ancestor, id) => reach.isAncestor(node(ancestor), node(id)),
  };
}
