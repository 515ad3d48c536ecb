import { describe, expect, it } from 'vitest';
import { NEW_CARD, placeInView, type Rect } from './place';

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
