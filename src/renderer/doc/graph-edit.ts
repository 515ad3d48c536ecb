/**
 * Edits of the document as pure functions over a union of changes (in the manner of xyflow's
 * `applyNodeChanges`). The graph v1 JSON is the source of truth: each change returns a new
 * graph that shares every untouched node and edge object with the old one, so memoized views
 * re-render only what changed. A change that changes nothing returns the same graph object.
 */
import type { Graph, GraphEdge, GraphNode } from '../../core/graph/schema';
import { isBranching, newEdgeId, newNodeId } from './defaults';

export type XY = { x: number; y: number };
type GraphFields = Omit<Graph, 'nodes' | 'edges' | 'format' | 'version'>;

export type GraphChange =
  | { type: 'add-node'; node: GraphNode }
  | { type: 'remove-node'; id: string }
  | { type: 'move-node'; id: string; position: XY }
  /** Sets fields of a node; a field set to undefined is removed. `id` and `type` are not patched here. */
  | { type: 'update-node'; id: string; patch: Partial<Omit<GraphNode, 'id' | 'type'>> }
  /** Renames a node: its edges and the template references to it follow. */
  | { type: 'rename-node'; id: string; newId: string }
  | { type: 'add-edge'; edge: GraphEdge }
  | { type: 'remove-edge'; id: string }
  | { type: 'update-edge'; id: string; patch: Partial<Omit<GraphEdge, 'id'>> }
  /** Top-level fields (id, name, description, input, defaults, budget, concurrency). */
  | { type: 'update-graph'; patch: Partial<GraphFields> };

function patchObject<T extends object>(obj: T, patch: Partial<T>): T {
  let changed = false;
  const out = { ...obj } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) {
      if (k in out) {
        delete out[k];
        changed = true;
      }
    } else if (out[k] !== v) {
      out[k] = v;
      changed = true;
    }
  }
  return changed ? (out as T) : obj;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces `nodes.<from>` references with `nodes.<to>` in every string of `value`. */
export function renameRefs<T>(value: T, from: string, to: string): T {
  const re = new RegExp(`\\bnodes\\.${escapeRe(from)}(?![A-Za-z0-9_-])`, 'g');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return re.test(v) ? ((re.lastIndex = 0), v.replace(re, `nodes.${to}`)) : v;
    if (Array.isArray(v)) {
      const out = v.map(walk);
      return out.some((x, i) => x !== v[i]) ? out : v;
    }
    if (v && typeof v === 'object') {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = walk(x);
        if (out[k] !== x) changed = true;
      }
      return changed ? out : v;
    }
    return v;
  };
  return walk(value) as T;
}

function applyOne(g: Graph, c: GraphChange): Graph {
  switch (c.type) {
    case 'add-node':
      if (g.nodes.some((n) => n.id === c.node.id)) return g;
      return { ...g, nodes: [...g.nodes, c.node] };
    case 'remove-node': {
      if (!g.nodes.some((n) => n.id === c.id)) return g;
      return {
        ...g,
        nodes: g.nodes.filter((n) => n.id !== c.id),
        edges: g.edges.filter((e) => e.source !== c.id && e.target !== c.id),
      };
    }
    case 'move-node': {
      const x = Math.round(c.position.x);
      const y = Math.round(c.position.y);
      let changed = false;
      const nodes = g.nodes.map((n) => {
        if (n.id !== c.id || (n.position?.x === x && n.position?.y === y)) return n;
        changed = true;
        return { ...n, position: { x, y } };
      });
      return changed ? { ...g, nodes } : g;
    }
    case 'update-node': {
      let changed = false;
      const nodes = g.nodes.map((n) => {
        if (n.id !== c.id) return n;
        const next = patchObject(n, c.patch as Partial<GraphNode>);
        if (next !== n) changed = true;
        return next;
      });
      return changed ? { ...g, nodes } : g;
    }
    case 'rename-node': {
      if (c.id === c.newId || !g.nodes.some((n) => n.id === c.id) || g.nodes.some((n) => n.id === c.newId)) return g;
      return {
        ...g,
        nodes: g.nodes.map((n) => {
          const renamed = n.id === c.id ? { ...n, id: c.newId } : n;
          const config = renameRefs(renamed.config, c.id, c.newId);
          const compensate = renamed.compensate ? renameRefs(renamed.compensate, c.id, c.newId) : undefined;
          if (config === renamed.config && compensate === renamed.compensate) return renamed;
          return { ...renamed, config, ...(compensate ? { compensate } : {}) };
        }),
        edges: g.edges.map((e) =>
          e.source === c.id || e.target === c.id
            ? { ...e, source: e.source === c.id ? c.newId : e.source, target: e.target === c.id ? c.newId : e.target }
            : e,
        ),
      };
    }
    case 'add-edge':
      if (g.edges.some((e) => e.id === c.edge.id)) return g;
      return { ...g, edges: [...g.edges, c.edge] };
    case 'remove-edge':
      if (!g.edges.some((e) => e.id === c.id)) return g;
      return { ...g, edges: g.edges.filter((e) => e.id !== c.id) };
    case 'update-edge': {
      let changed = false;
      const edges = g.edges.map((e) => {
        if (e.id !== c.id) return e;
        const next = patchObject(e, c.patch as Partial<GraphEdge>);
        if (next !== e) changed = true;
        return next;
      });
      return changed ? { ...g, edges } : g;
    }
    case 'update-graph':
      return patchObject(g, c.patch as Partial<Graph>);
  }
}

/** Applies changes in order. Returns the same object when nothing changed. */
export function applyGraphChanges(graph: Graph, changes: readonly GraphChange[]): Graph {
  return changes.reduce(applyOne, graph);
}

/** The edge a connection from `source` (handle `true`/`false` on branching nodes) to `target` makes, or null. */
export function connectEdge(
  graph: Graph,
  source: string,
  target: string,
  sourceHandle?: string | null,
): GraphEdge | null {
  if (source === target) return null;
  const src = graph.nodes.find((n) => n.id === source);
  if (!src || !graph.nodes.some((n) => n.id === target)) return null;
  const when =
    isBranching(src.type) && (sourceHandle === 'true' || sourceHandle === 'false')
      ? sourceHandle === 'true'
      : undefined;
  if (graph.edges.some((e) => e.source === source && e.target === target && e.when === when)) return null;
  return { id: newEdgeId(graph), source, target, ...(when === undefined ? {} : { when }) };
}

export interface Clip {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The selected nodes and the edges between them. */
export function copySelection(graph: Graph, nodeIds: ReadonlySet<string>): Clip {
  return {
    nodes: graph.nodes.filter((n) => nodeIds.has(n.id)),
    edges: graph.edges.filter((e) => nodeIds.has(e.source) && nodeIds.has(e.target)),
  };
}

/** Changes that paste a clip with fresh ids (references between pasted nodes follow), shifted by `offset`. */
export function pasteChanges(
  graph: Graph,
  clip: Clip,
  offset: XY = { x: 40, y: 40 },
): { changes: GraphChange[]; ids: string[] } {
  const taken = new Set<string>();
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = newNodeId(graph, n.type, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  const changes: GraphChange[] = [];
  for (const n of clip.nodes) {
    let node: GraphNode = {
      ...n,
      id: rename.get(n.id)!,
      position: { x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y },
    };
    for (const [from, to] of rename) node = { ...node, config: renameRefs(node.config, from, to) };
    changes.push({ type: 'add-node', node });
  }
  const edgeTaken = new Set<string>();
  for (const e of clip.edges) {
    const id = newEdgeId(graph, edgeTaken);
    edgeTaken.add(id);
    changes.push({
      type: 'add-edge',
      edge: { ...e, id, source: rename.get(e.source)!, target: rename.get(e.target)! },
    });
  }
  return { changes, ids: [...rename.values()] };
}

/** Changes that remove nodes (with their edges) and edges. */
export function removeChanges(nodeIds: Iterable<string>, edgeIds: Iterable<string>): GraphChange[] {
  return [
    ...[...edgeIds].map((id) => ({ type: 'remove-edge', id }) as const),
    ...[...nodeIds].map((id) => ({ type: 'remove-node', id }) as const),
  ];
}
