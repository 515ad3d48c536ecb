import { describe, expect, it } from 'vitest';
import type { Graph } from '../../core/graph/schema';
import { freeSpot } from './place';

const g = (positions: [number, number][]): Graph =>
  ({
    format: 'statepipe.graph',
    version: 1,
    id: 'g',
    nodes: positions.map(([x, y], i) => ({ id: `n${i}`, type: 'input', position: { x, y } })),
    edges: [],
  }) as unknown as Graph;

describe('freeSpot', () => {
  it('keeps a free spot and moves off an occupied one to the nearest free one', () => {
    expect(freeSpot(g([[0, 0]]), { x: 500, y: 500 })).toEqual({ x: 500, y: 500 });
    const busy = g([[0, 0]]);
    // Taken: the next spot to the right (where data flows), then below.
    expect(freeSpot(busy, { x: 10, y: 10 })).toEqual({ x: 220, y: 10 });
    expect(
      freeSpot(
        g([
          [0, 0],
          [210, 0],
        ]),
        { x: 0, y: 0 },
      ),
    ).toEqual({ x: 0, y: 120 });
    // Clicked three times on one spot: three cards, none on another.
    const graph = g([[0, 0]]);
    for (let i = 0; i < 3; i++) {
      const p = freeSpot(graph, { x: 0, y: 0 });
      for (const n of graph.nodes)
        expect(Math.abs(n.position!.x - p.x) >= 210 || Math.abs(n.position!.y - p.y) >= 120).toBe(true);
      graph.nodes.push({ id: `m${i}`, type: 'input', position: p } as never);
    }
  });
});
