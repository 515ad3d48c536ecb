/** Where a node added by a palette click, or nodes pasted, go: in the visible canvas, clear of every card. */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A new card before the canvas has measured it (188 px wide; most cards are under 110 px high). */
export const NEW_CARD = { width: 188, height: 110 };
/** The room left between a new card and the one beside it. */
const GAP = 40;
/** The room that must stay free between any two cards (less than GAP: a card a little wider or taller than NEW_CARD still leaves its neighbour's spot free). */
const MIN_GAP = 12;

const clash = (a: Rect, b: Rect): boolean =>
  a.x < b.x + b.width + MIN_GAP &&
  b.x < a.x + a.width + MIN_GAP &&
  a.y < b.y + b.height + MIN_GAP &&
  b.y < a.y + a.height + MIN_GAP;
const within = (a: Rect, v: Rect): boolean =>
  a.x >= v.x && a.y >= v.y && a.x + a.width <= v.x + v.width && a.y + a.height <= v.y + v.height;
const grid = (v: number) => Math.round(v / 10) * 10;

/** Where placing starts: right of `after` when it is in view, else a box of `size` in the middle of the view. */
function startOf(view: Rect, size: { width: number; height: number }, after?: Rect): { x: number; y: number } {
  return after && within(after, view)
    ? { x: after.x + after.width + GAP, y: after.y }
    : { x: view.x + (view.width - size.width) / 2, y: view.y + (view.height - size.height) / 2 };
}

/**
 * The top-left corner, on the canvas, of a card added by a click: inside `view` (the visible part
 * of the canvas, in canvas coordinates) and clear of every card in `cards`. The first goes in the
 * middle of the view; one added after `after` (the card the last click added, when it is in view)
 * goes to its right, or where the view ends there, to the free spot of the grid nearest to that
 * (in steps of a card: the same row first, then below, then right). When the view has no room, the
 * nearest free spot of the grid outside it, and `inView` is false: the canvas pans to it. `size`
 * is the box placed: a new card, or the box around pasted cards.
 */
export function placeInView(
  cards: readonly Rect[],
  view: Rect,
  after?: Rect,
  size: { width: number; height: number } = NEW_CARD,
): { x: number; y: number; inView: boolean } {
  const { width, height } = size;
  const start = startOf(view, size, after);
  const stepX = width + GAP;
  const stepY = height + GAP;
  let best: { x: number; y: number; key: number[] } | undefined;
  // The grid over the view and as far again around it (where a full view sends the card).
  const range = (from: number, size: number, at: number, step: number): [number, number] => [
    Math.floor((from - size - at) / step),
    Math.ceil((from + 2 * size - at) / step),
  ];
  const [c0, c1] = range(view.x, view.width, start.x, stepX);
  const [r0, r1] = range(view.y, view.height, start.y, stepY);
  for (let r = r0; r <= r1; r++)
    for (let c = c0; c <= c1; c++) {
      const spot = { x: start.x + c * stepX, y: start.y + r * stepY, width, height };
      if (cards.some((o) => clash(spot, o))) continue;
      const key = [within(spot, view) ? 0 : 1, Math.abs(c) + Math.abs(r), Math.abs(r), r < 0 ? 1 : 0, c < 0 ? 1 : 0];
      if (!best || lessThan(key, best.key)) best = { x: spot.x, y: spot.y, key };
    }
  if (!best) return { x: grid(start.x), y: grid(start.y), inView: false };
  return { x: grid(best.x), y: grid(best.y), inView: best.key[0] === 0 };
}

/** The box around some cards. */
export function boundsOf(rects: readonly Rect[]): Rect {
  const x = Math.min(...rects.map((r) => r.x));
  const y = Math.min(...rects.map((r) => r.y));
  const right = Math.max(...rects.map((r) => r.x + r.width));
  const bottom = Math.max(...rects.map((r) => r.y + r.height));
  return { x, y, width: right - x, height: bottom - y };
}

/**
 * The free spot in `view` for a box of `size` nearest to `from` (its top-left corner), on a grid
 * fine enough to find room between cards that the coarser one of placeInView (in steps of the box)
 * misses; undefined when the view has none.
 */
function nearestFreeInView(
  cards: readonly Rect[],
  view: Rect,
  size: { width: number; height: number },
  from: { x: number; y: number },
): { x: number; y: number } | undefined {
  // A few thousand spots at most, however far the view is zoomed out.
  const step = Math.max(10, Math.ceil(Math.sqrt((view.width * view.height) / 4000) / 10) * 10);
  const near = cards.filter((c) => clash(c, view));
  let best: { x: number; y: number; d: number } | undefined;
  for (let y = Math.ceil(view.y / 10) * 10; y + size.height <= view.y + view.height; y += step)
    for (let x = Math.ceil(view.x / 10) * 10; x + size.width <= view.x + view.width; x += step) {
      const d = Math.hypot(x - from.x, y - from.y);
      if (best && d >= best.d) continue;
      const spot = { x, y, width: size.width, height: size.height };
      if (!near.some((o) => clash(spot, o))) best = { x, y, d };
    }
  return best && { x: best.x, y: best.y };
}

/**
 * How far pasted copies of `copied` (the copied cards, where they were copied) move from them: as
 * one box, placed as a palette click places a card (placeInView): in view and clear of every card
 * in `cards` (the copied ones among them), to the right of the copied cards when they are in view,
 * else in the middle of the view; where that grid has no room in view, the free spot in view
 * nearest to there. Pasted again, the copies go beside the earlier ones; a paste undone frees its
 * place for the next. `inView` false: no room in view at all, the canvas pans to the copies.
 */
export function pastePlace(
  copied: readonly Rect[],
  cards: readonly Rect[],
  view: Rect,
): { dx: number; dy: number; inView: boolean } {
  if (copied.length === 0) return { dx: 0, dy: 0, inView: true };
  const box = boundsOf(copied);
  let spot = placeInView(cards, view, box, box);
  if (!spot.inView) {
    const free = nearestFreeInView(cards, view, box, startOf(view, box, box));
    if (free) spot = { ...free, inView: true };
  }
  return { dx: spot.x - box.x, dy: spot.y - box.y, inView: spot.inView };
}

const lessThan = (a: number[], b: number[]): boolean => {
  const i = a.findIndex((k, j) => k !== b[j]);
  return i >= 0 && a[i]! < b[i]!;
};
