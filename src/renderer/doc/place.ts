/** Where a node added by a click goes: near the spot asked for, but never on top of another node. */
import type { Graph } from '../../core/graph/schema';

/** A card's footprint with a margin (cards are 188 px wide and about 70–110 px high). */
const W = 210;
const H = 120;

const overlaps = (g: Graph, x: number, y: number): boolean =>
  g.nodes.some((n) => n.position !== undefined && Math.abs(n.position.x - x) < W && Math.abs(n.position.y - y) < H);

/**
 * The top-left corner for a new card near `at` (a top-left corner too): `at` when it is free,
 * else the nearest free spot on rings of growing size around it, the right (where data flows)
 * and below first.
 */
export function freeSpot(g: Graph, at: { x: number; y: number }): { x: number; y: number } {
  if (!overlaps(g, at.x, at.y)) return at;
  for (let ring = 1; ring <= 12; ring++) {
    const cells: [number, number][] = [];
    for (let dx = -ring; dx <= ring; dx++)
      for (let dy = -ring; dy <= ring; dy++) if (Math.max(Math.abs(dx), Math.abs(dy)) === ring) cells.push([dx, dy]);
    cells.sort(
      (p, q) =>
        Math.abs(p[0]) + Math.abs(p[1]) - (Math.abs(q[0]) + Math.abs(q[1])) ||
        Number(p[0] < 0) - Number(q[0] < 0) ||
        Number(p[1] < 0) - Number(q[1] < 0) ||
        Math.abs(p[1]) - Math.abs(q[1]),
    );
    for (const [dx, dy] of cells) {
      const x = at.x + dx * W;
      const y = at.y + dy * H;
      if (!overlaps(g, x, y)) return { x, y };
    }
  }
  return at;
}
