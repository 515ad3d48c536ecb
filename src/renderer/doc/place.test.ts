import { describe, expect, it } from 'vitest';
import { boundsOf, NEW_CARD, pastePlace, placeInView, type Rect } from './place';

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

describe('pastePlace', () => {
  const view: Rect = { x: 0, y: 0, width: 900, height: 600 };
  const card = (x: number, y: number): Rect => ({ x, y, ...NEW_CARD });
  const clear = (a: Rect, b: Rect) =>
    a.x >= b.x + b.width || b.x >= a.x + a.width || a.y >= b.y + b.height || b.y >= a.y + a.height;
  const inside = (a: Rect, v: Rect) =>
    a.x >= v.x && a.y >= v.y && a.x + a.width <= v.x + v.width && a.y + a.height <= v.y + v.height;
  const moved = (r: Rect, p: { dx: number; dy: number }): Rect => ({ ...r, x: r.x + p.dx, y: r.y + p.dy });

  it('copies scrolled out of view: the paste lands in view, clear of every card', () => {
    const copied = [card(3000, 2000), card(3300, 2100)];
    const other = card(360, 250); // in the middle of the view
    const p = pastePlace(copied, [...copied, other], view);
    expect(p.inView).toBe(true);
    const pasted = copied.map((c) => moved(c, p));
    for (const c of pasted) {
      expect(inside(c, view), JSON.stringify(c)).toBe(true);
      for (const o of [...copied, other]) expect(clear(c, o)).toBe(true);
    }
    // As one block: the copies keep their places to one another.
    expect(pasted[1]!.x - pasted[0]!.x).toBe(300);
    expect(pasted[1]!.y - pasted[0]!.y).toBe(100);
  });

  it('copies in view: beside them (to their right, on their row), not on them', () => {
    const copied = [card(100, 100)];
    const p = pastePlace(copied, copied, view);
    // The card's width and the gap (228 px), on the canvas's grid of 10 px.
    expect(p).toEqual({ dx: 230, dy: 0, inView: true });
  });

  it('pasted again: beside the earlier copies, never on them; a paste undone frees its place', () => {
    const copied = [card(100, 100)];
    const first = pastePlace(copied, copied, view);
    const firstCopy = moved(copied[0]!, first);
    const second = pastePlace(copied, [...copied, firstCopy], view);
    const secondCopy = moved(copied[0]!, second);
    expect(second.inView).toBe(true);
    expect(clear(secondCopy, firstCopy)).toBe(true);
    expect(clear(secondCopy, copied[0]!)).toBe(true);
    expect(secondCopy.y).toBe(firstCopy.y);
    expect(secondCopy.x).toBeGreaterThan(firstCopy.x);
    // The first paste undone: the next lands where it was.
    expect(pastePlace(copied, copied, view)).toEqual(first);
  });

  it('no room in view for the copies: outside it, and the canvas pans to them', () => {
    const copied = [card(0, 0), card(800, 500)];
    const p = pastePlace(copied, copied, view);
    expect(p.inView).toBe(false);
    for (const c of copied.map((r) => moved(r, p))) for (const o of copied) expect(clear(c, o)).toBe(true);
  });

  it('boundsOf: the box around cards', () => {
    expect(boundsOf([card(10, 20), card(300, 5)])).toEqual({
      x: 10,
      y: 5,
      width: 290 + NEW_CARD.width,
      height: 15 + NEW_CARD.height,
    });
  });
});
