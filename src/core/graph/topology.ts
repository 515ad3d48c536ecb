/**
 * Graph structure: cycle detection, a stable topological order, and memoized
 * ancestor/descendant queries (bitsets, so asking for every node of a 5 000-node graph stays fast).
 */
import { AppError } from '../errors.js';
import type { Graph, GraphEdge } from './schema.js';

/**
 * The nodes of one cycle, in edge order (`[a, b, c]` for a -> b -> c -> a), or null when the
 * graph is acyclic. Edges naming unknown nodes are ignored. Deterministic: the search starts
 * from nodes in the given order and follows edges in the given order.
 */
export function findCycle(nodeIds: string[], edges: { source: string; target: string }[]): string[] | null {
  const index = new Map<string, number>();
  nodeIds.forEach((id, i) => {
    if (!index.has(id)) index.set(id, i);
  });
  const adj: number[][] = nodeIds.map(() => []);
  for (const e of edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s !== undefined && t !== undefined) adj[s]!.push(t);
  }
  // 0 = unvisited, 1 = on the DFS stack, 2 = done
  const color = new Uint8Array(nodeIds.length);
  const stack: number[] = [];
  const cursor = new Uint32Array(nodeIds.length);
  for (let root = 0; root < nodeIds.length; root++) {
    if (color[root] !== 0) continue;
    stack.push(root);
    color[root] = 1;
    while (stack.length > 0) {
      const v = stack[stack.length - 1]!;
      const next = adj[v]!;
      if (cursor[v]! < next.length) {
        const w = next[cursor[v]!++]!;
        if (color[w] === 1) return stack.slice(stack.indexOf(w)).map((i) => nodeIds[i]!);
        if (color[w] === 0) {
          color[w] = 1;
          stack.push(w);
        }
      } else {
        color[v] = 2;
        stack.pop();
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

/** Above this many nodes, the n² bits of the bitsets are too much: fall back to searches. */
const BITSET_MAX_NODES = 20_000;

class MinHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * The topology of an acyclic graph. Throws AppError('validation') when an edge names a
 * missing node or the graph has a cycle (validateGraph reports those first, with detail).
 */
export function topology(graph: Graph): Topology {
  const ids = graph.nodes.map((n) => n.id);
  const n = ids.length;
  const index = new Map<string, number>();
  ids.forEach((id, i) => index.set(id, i));
  const incoming = new Map<string, GraphEdge[]>();
  const outgoing = new Map<string, GraphEdge[]>();
  for (const id of ids) {
    incoming.set(id, []);
    outgoing.set(id, []);
  }
  const parents: number[][] = ids.map(() => []);
  const children: number[][] = ids.map(() => []);
  const indegree = new Uint32Array(n);
  for (const e of graph.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined) {
      const missing = s === undefined ? e.source : e.target;
      throw new AppError('validation', `edges[${e.id}]: node "${missing}" does not exist`, [
        { path: `edges[${e.id}]`, message: `node "${missing}" does not exist`, edgeId: e.id },
      ]);
    }
    outgoing.get(e.source)!.push(e);
    incoming.get(e.target)!.push(e);
    children[s]!.push(t);
    parents[t]!.push(s);
    indegree[t]!++;
  }

  const heap = new MinHeap();
  for (let i = 0; i < n; i++) if (indegree[i] === 0) heap.push(i);
  const orderIdx: number[] = [];
  while (heap.size > 0) {
    const v = heap.pop();
    orderIdx.push(v);
    for (const w of children[v]!) if (--indegree[w]! === 0) heap.push(w);
  }
  if (orderIdx.length < n) {
    const cycle = findCycle(ids, graph.edges) ?? [];
    const text = formatCycle(cycle);
    throw new AppError('validation', `edges: the graph has a cycle: ${text}`, [
      { path: 'edges', message: `the graph has a cycle: ${text}`, ...(cycle[0] ? { nodeId: cycle[0] } : {}) },
    ]);
  }
  const order = orderIdx.map((i) => ids[i]!);

  const idxOf = (id: string): number => {
    const i = index.get(id);
    if (i === undefined) throw new AppError('not-found', `unknown node "${id}"`);
    return i;
  };

  /** Bitsets of reachable nodes, one row per node, filled in (reverse) topological order. */
  const words = (n + 31) >>> 5;
  const closure = (links: number[][], sweep: number[]): Uint32Array => {
    const bits = new Uint32Array(n * words);
    for (const v of sweep) {
      const row = v * words;
      for (const p of links[v]!) {
        const prow = p * words;
        for (let k = 0; k < words; k++) bits[row + k]! |= bits[prow + k]!;
        bits[row + (p >>> 5)]! |= 1 << (p & 31);
      }
    }
    return bits;
  };
  let ancBits: Uint32Array | null = null;
  let descBits: Uint32Array | null = null;
  const anc = (): Uint32Array => (ancBits ??= closure(parents, orderIdx));
  const desc = (): Uint32Array => (descBits ??= closure(children, [...orderIdx].reverse()));

  const rowToSet = (bits: Uint32Array, v: number): Set<string> => {
    const out = new Set<string>();
    const row = v * words;
    for (let k = 0; k < words; k++) {
      let w = bits[row + k]!;
      while (w !== 0) {
        const low = w & -w;
        out.add(ids[(k << 5) + (31 - Math.clz32(low))]!);
        w ^= low;
      }
    }
    return out;
  };
  const search = (links: number[][], v: number): Set<string> => {
    const seen = new Uint8Array(n);
    const stack = [v];
    const out = new Set<string>();
    while (stack.length > 0) {
      for (const w of links[stack.pop()!]!) {
        if (seen[w]) continue;
        seen[w] = 1;
        out.add(ids[w]!);
        stack.push(w);
      }
    }
    return out;
  };
  const big = n > BITSET_MAX_NODES;

  return {
    order,
    incoming,
    outgoing,
    ancestors: (id) => (big ? search(parents, idxOf(id)) : rowToSet(anc(), idxOf(id))),
    descendants: (id) => (big ? search(children, idxOf(id)) : rowToSet(desc(), idxOf(id))),
    isAncestor: (ancestor, id) => {
      const a = idxOf(ancestor);
      const v = idxOf(id);
      if (big) return search(parents, v).has(ancestor);
      return (anc()[v * words + (a >>> 5)]! & (1 << (a & 31))) !== 0;
    },
  };
}
