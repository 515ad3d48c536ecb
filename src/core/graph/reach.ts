/**
 * Who reaches whom in an acyclic graph: memoized bitsets (one row of n bits per node, filled in
 * topological order), so asking for every node's ancestors in a 5 000-node graph stays fast; above
 * BITSET_MAX_NODES the n² bits are too much and each question is a search instead.
 */

/** A node as the reach questions see it: its place in `graph.nodes` and its links. */
export interface Vertex {
  readonly id: string;
  /** Its index in `graph.nodes`: its bit in the rows, its rank among ready nodes. */
  readonly i: number;
  readonly parents: readonly Vertex[];
  readonly children: readonly Vertex[];
}

/** Above this many nodes, the n² bits of the bitsets are too much: fall back to searches. */
const BITSET_MAX_NODES = 20_000;

type Links = (v: Vertex) => readonly Vertex[];
const up: Links = (v) => v.parents;
const down: Links = (v) => v.children;

export class Reach {
  private readonly words: number;
  private readonly big: boolean;
  private ancRows: Uint32Array[] | null = null;
  private descRows: Uint32Array[] | null = null;

  /** `order`: the vertices in topological order. */
  constructor(
    private readonly vertices: readonly Vertex[],
    private readonly order: readonly Vertex[],
  ) {
    this.words = (vertices.length + 31) >>> 5;
    this.big = vertices.length > BITSET_MAX_NODES;
  }

  ancestors(v: Vertex): Set<string> {
    return this.big ? search(v, up) : this.toSet(this.anc(v));
  }

  descendants(v: Vertex): Set<string> {
    return this.big ? search(v, down) : this.toSet(this.desc(v));
  }

  isAncestor(a: Vertex, v: Vertex): boolean {
    if (this.big) return search(v, up).has(a.id);
    return ((this.anc(v)[a.i >>> 5] ?? 0) & (1 << (a.i & 31))) !== 0;
  }

  private anc(v: Vertex): Uint32Array {
    this.ancRows ??= this.closure(up, this.order);
    return this.rowOf(this.ancRows, v);
  }

  private desc(v: Vertex): Uint32Array {
    this.descRows ??= this.closure(down, [...this.order].reverse());
    return this.rowOf(this.descRows, v);
  }

  private rowOf(rows: Uint32Array[], v: Vertex): Uint32Array {
    return rows[v.i] ?? new Uint32Array(this.words);
  }

  /** Each node's row: the union of its links' rows and their own bits, in `sweep` order. */
  private closure(links: Links, sweep: readonly Vertex[]): Uint32Array[] {
    const block = new Uint32Array(this.vertices.length * this.words);
    const rows = this.vertices.map((v) => block.subarray(v.i * this.words, (v.i + 1) * this.words));
    for (const v of sweep) {
      const row = this.rowOf(rows, v);
      for (const p of links(v)) {
        const from = this.rowOf(rows, p);
        for (let k = 0; k < row.length; k++) row[k] = (row[k] ?? 0) | (from[k] ?? 0);
        row[p.i >>> 5] = (row[p.i >>> 5] ?? 0) | (1 << (p.i & 31));
      }
    }
    return rows;
  }

  private toSet(row: Uint32Array): Set<string> {
    const out = new Set<string>();
    row.forEach((word, k) => {
      let w = word;
      while (w !== 0) {
        const low = w & -w;
        const v = this.vertices[(k << 5) + (31 - Math.clz32(low))];
        if (v) out.add(v.id);
        w ^= low;
      }
    });
    return out;
  }
}

/** Every node reachable from `v` along `links` (not `v` itself). */
function search(v: Vertex, links: Links): Set<string> {
  const seen = new Set<Vertex>();
  const stack = [v];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    for (const w of links(next)) {
      if (seen.has(w)) continue;
      seen.add(w);
      stack.push(w);
    }
  }
  return new Set([...seen].map((w) => w.id));
}
