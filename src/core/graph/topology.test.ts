import { describe, it, expect } from 'vitest';
import { AppError } from '../errors.js';
import { diamond, edge, randomDag, rawGraph } from './fixtures.js';
import type { Graph } from './schema.js';
import { findCycle, formatCycle, topology } from './topology.js';

/** Reference: Kahn's algorithm picking the lowest index each time, O(n²). */
function referenceOrder(g: Graph): string[] {
  const ids = g.nodes.map((n) => n.id);
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of g.edges) indeg.set(e.target, indeg.get(e.target)! + 1);
  const done = new Set<string>();
  const out: string[] = [];
  while (out.length < ids.length) {
    const next = ids.find((id) => !done.has(id) && indeg.get(id) === 0)!;
    done.add(next);
    out.push(next);
    for (const e of g.edges) if (e.source === next) indeg.set(e.target, indeg.get(e.target)! - 1);
  }
  return out;
}

function reach(g: Graph, from: string, dir: 'up' | 'down'): Set<string> {
  const links = new Map<string, string[]>();
  for (const e of g.edges) {
    const [a, b] = dir === 'up' ? [e.target, e.source] : [e.source, e.target];
    links.set(a, [...(links.get(a) ?? []), b]);
  }
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    for (const w of links.get(stack.pop()!) ?? []) {
      if (seen.has(w)) continue;
      seen.add(w);
      stack.push(w);
    }
  }
  return seen;
}

describe('findCycle', () => {
  it('returns null for an acyclic graph', () => {
    expect(findCycle(['a', 'b', 'c'], [edge('1', 'a', 'b'), edge('2', 'b', 'c'), edge('3', 'a', 'c')])).toBeNull();
  });

  it('returns the nodes of a cycle in order', () => {
    const cycle = findCycle(
      ['x', 'a', 'b', 'c'],
      [edge('0', 'x', 'a'), edge('1', 'a', 'b'), edge('2', 'b', 'c'), edge('3', 'c', 'a')],
    );
    expect(cycle).toEqual(['a', 'b', 'c']);
    expect(formatCycle(cycle!)).toBe('a -> b -> c -> a');
  });

  it('finds a self-loop and ignores edges to unknown nodes', () => {
    expect(findCycle(['a'], [edge('1', 'a', 'a')])).toEqual(['a']);
    expect(findCycle(['a'], [edge('1', 'a', 'ghost'), edge('2', 'ghost', 'a')])).toBeNull();
  });

  it('returns a real cycle (every step is an edge) in a big graph with one back edge', () => {
    const g = randomDag(2000, 7);
    const edges = [...g.edges, edge('back', 'n1999', 'n0')];
    const before = reach(g, 'n1999', 'up');
    const cycle = findCycle(
      g.nodes.map((n) => n.id),
      edges,
    );
    if (!before.has('n0')) {
      expect(cycle).toBeNull();
      return;
    }
    expect(cycle).not.toBeNull();
    const set = new Set(edges.map((e) => `${e.source}>${e.target}`));
    cycle!.forEach((id, i) => expect(set.has(`${id}>${cycle![(i + 1) % cycle!.length]}`)).toBe(true));
  });
});

describe('topology', () => {
  it('orders a diamond and breaks ties by order of appearance', () => {
    expect(topology(diamond()).order).toEqual(['a', 'b', 'c', 'd']);
    expect(topology(diamond(['d', 'c', 'b', 'a'])).order).toEqual(['a', 'c', 'b', 'd']);
  });

  it('gives incoming and outgoing edges per node', () => {
    const t = topology(diamond());
    expect(t.incoming.get('d')!.map((e) => e.id)).toEqual(['bd', 'cd']);
    expect(t.outgoing.get('a')!.map((e) => e.id)).toEqual(['ab', 'ac']);
    expect(t.incoming.get('a')).toEqual([]);
  });

  it('answers ancestors and descendants on a diamond', () => {
    const t = topology(diamond());
    expect(t.ancestors('d')).toEqual(new Set(['a', 'b', 'c']));
    expect(t.ancestors('b')).toEqual(new Set(['a']));
    expect(t.ancestors('a')).toEqual(new Set());
    expect(t.descendants('a')).toEqual(new Set(['b', 'c', 'd']));
    expect(t.descendants('c')).toEqual(new Set(['d']));
    expect(t.isAncestor('a', 'd')).toBe(true);
    expect(t.isAncestor('b', 'c')).toBe(false);
    expect(t.isAncestor('d', 'd')).toBe(false);
  });

  it('returns a fresh set each time', () => {
    const t = topology(diamond());
    t.ancestors('d').add('zzz');
    expect(t.ancestors('d').has('zzz')).toBe(false);
  });

  it('keeps isolated nodes in appearance order', () => {
    const g = rawGraph(
      ['z', 'y', 'x'].map((id) => ({ id, type: 'transform', config: { template: 1 } })),
      [],
    ) as unknown as Graph;
    expect(topology(g).order).toEqual(['z', 'y', 'x']);
  });

  it('refuses a cycle and an edge to a missing node', () => {
    const cyc = diamond();
    cyc.edges.push(edge('da', 'd', 'a'));
    expect(() => topology(cyc)).toThrow(/cycle: a -> b -> d -> a/);
    const missing = diamond();
    missing.edges.push(edge('dx', 'd', 'ghost'));
    expect(() => topology(missing)).toThrow(AppError);
  });

  it('throws not-found for an unknown id', () => {
    expect(() => topology(diamond()).ancestors('ghost')).toThrow(/unknown node "ghost"/);
  });

  it('is correct on a 5 000-node random DAG', () => {
    const g = randomDag(5000, 42);
    const t = topology(g);
    expect(t.order).toHaveLength(5000);
    expect(t.order).toEqual(referenceOrder(g));
    const pos = new Map(t.order.map((id, i) => [id, i]));
    for (const e of g.edges) expect(pos.get(e.source)!).toBeLessThan(pos.get(e.target)!);

    // every node can be asked; a sample is checked against a plain search
    let total = 0;
    for (const id of t.order) total += t.ancestors(id).size + t.descendants(id).size;
    expect(total).toBeGreaterThan(0);
    for (let i = 0; i < 5000; i += 97) {
      const id = `n${i}`;
      const up = reach(g, id, 'up');
      expect(t.ancestors(id)).toEqual(up);
      expect(t.descendants(id)).toEqual(reach(g, id, 'down'));
      for (let j = 0; j < 5000; j += 211) expect(t.isAncestor(`n${j}`, id)).toBe(up.has(`n${j}`));
    }
  });
});
