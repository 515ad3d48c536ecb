import { describe, expect, it } from 'vitest';
import type { Graph } from '../../core/graph/schema';
import { freeSpot, NEW_CARD, placeInView, type Rect } from './place';

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

describe('placeInView', () => {
  const view: Rect = { x: 0, y: 0, width: 900, height: 600 };
  const card = (x: number, y: number): Rect => ({ x, y, ...NEW_CARD });
  const overlap = (a: Rect, b: Rect) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  it('the first in the middle of the view, the next to the right of it', () => {
    const first = placeInView([], view);
    expect(first).toEqual({ x: 360, y: 250, inView: true });
    const second = placeInView([card(first.x, first.y)], view, card(first.x, first.y));
    expect(second.y).toBe(first.y);
    expect(Math.abs(second.x - (first.x + NEW_CARD.width + 40))).toBeLessThanOrEqual(5);
  });

  it('consecutive adds fill the view, none on another, then go outside it (the canvas pans there)', () => {
    const cards: Rect[] = [];
    let after: Rect | undefined;
    for (let i = 0; i < 12; i++) {
      const p = placeInView(cards, view, after);
      const r = card(p.x, p.y);
      for (const c of cards) expect(overlap(r, c)).toBe(false);
      if (p.inView) expect(r.x >= 0 && r.y >= 0 && r.x + r.width <= 900 && r.y + r.height <= 600).toBe(true);
      cards.push(r);
      after = r;
    }
    expect(cards.filter((c) => c.x + c.width <= 900 && c.y + c.height <= 600).length).toBeGreaterThanOrEqual(9);
  });

  it('a card out of view is not the one to go beside: the middle of the view is', () => {
    const far = card(5000, 5000);
    expect(placeInView([far], view, far)).toEqual({ x: 360, y: 250, inView: true });
  });
});
