/**
 * The diff of two versions of a graph (pure), for the version history: a union graph to draw
 * (the newer version's nodes and edges, plus those only the older one had, where it had them),
 * each node marked changed / same / only in A (removed) / only in B (added), and the JSON
 * differences of each node (positions aside: moving a node is not a change of what it does).
 */
import type { Graph, GraphNode } from '../../core/graph/schema';
import type { DiffMark } from '../canvas/node-source';
import { jsonDiff, jsonEqual, type DiffEntry } from '../ui/json-diff';

export interface GraphDiff {
  union: Graph;
  marks: Record<string, DiffMark>;
  /** Per node: what differs (A → B). */
  nodes: Record<string, DiffEntry[]>;
  /** Edge ids only in A / only in B. */
  removedEdges: string[];
  addedEdges: string[];
  /** The graph's own fields (name, input schema, defaults, …). */
  graph: DiffEntry[];
}

const body = ({ position: _p, ...rest }: GraphNode) => rest;
const fields = ({ nodes: _n, edges: _e, ...rest }: Graph) => rest;

export function diffGraphs(a: Graph, b: Graph): GraphDiff {
  const inA = new Map(a.nodes.map((n) => [n.id, n]));
  const inB = new Map(b.nodes.map((n) => [n.id, n]));
  const marks: Record<string, DiffMark> = {};
  const nodes: Record<string, DiffEntry[]> = {};
  for (const n of b.nodes) {
    const old = inA.get(n.id);
    if (!old) {
      marks[n.id] = 'only-b';
      continue;
    }
    const entries = jsonDiff(body(old), body(n));
    marks[n.id] = entries.length ? 'changed' : 'same';
    if (entries.length) nodes[n.id] = entries;
  }
  const removed = a.nodes.filter((n) => !inB.has(n.id));
  for (const n of removed) marks[n.id] = 'only-a';
  const edgeKey = (e: { source: string; target: string; when?: boolean }) => `${e.source}>${e.target}>${e.when ?? ''}`;
  const bEdges = new Set(b.edges.map(edgeKey));
  const aEdges = new Set(a.edges.map(edgeKey));
  const removedEdges = a.edges.filter((e) => !bEdges.has(edgeKey(e)));
  const taken = new Set(b.edges.map((e) => e.id));
  const union: Graph = {
    ...b,
    nodes: [...b.nodes, ...removed],
    edges: [
      ...b.edges,
      // Renamed when the newer version reuses its id for another edge.
      ...removedEdges.map((e) => (taken.has(e.id) ? { ...e, id: `${e.id}~removed` } : e)),
    ],
  };
  return {
    union,
    marks,
    nodes,
    removedEdges: removedEdges.map((e) => (taken.has(e.id) ? `${e.id}~removed` : e.id)),
    addedEdges: b.edges.filter((e) => !aEdges.has(edgeKey(e))).map((e) => e.id),
    graph: jsonEqual(fields(a), fields(b)) ? [] : jsonDiff(fields(a), fields(b)),
  };
}
