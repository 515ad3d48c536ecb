/** Where a node added by a palette click goes: in the visible canvas, clear of every card. */

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

/**
 * The top-left corner, on the canvas, of a card added by a click: inside `view` (the visible part
 * of the canvas, in canvas coordinates) and clear of every card in `cards`. The first goes in the
 * middle of the view; one added after `after` (the card the last click added, when it is in view)
 * goes to its right, or where the view ends there, to the free spot of the grid nearest to that
 * (in steps of a card: the same row first, then below, then right). When the view has no room, the
 * nearest free spot of the grid outside it, and `inView` is false: the canvas pans to it.
 */
export function placeInView(
  cards: readonly Rect[],
  view: Rect,
  after?: Rect,
): { x: number; y: number; inView: boolean } {
  const { width, height } = NEW_CARD;
  const start =
    after && within(after, view)
      ? { x: after.x + after.width + GAP, y: after.y }
      : { x: view.x + (view.width - width) / 2, y: view.y + (view.height - height) / 2 };
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

const lessThan = (a: number[], b: number[]): boolean => {
  const i = a.findIndex((k, j) => k !== b[j]);
  return i >= 0 && a[i]! < b[i]!;
};
