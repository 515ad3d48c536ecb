/** Where a node added by a click goes: near the spot asked for, but never on top of another node. */
import type { Graph } from '../../core/graph/schema';

/** A card's footprint with a margin (cards are 188 px wide and about 70–110 px high). */
const W = 210;
const H = 120;

const overlaps = (g: Graph, x: number, y: number): boolean =>
  g.nodes.some((n) => n.position !== undefined && Math.abs(n.position.x - x) < W && Math.abs(n.position.y - y) < H);

/**
 * The top-left corner for a new card near `at` (a top-left corner too): `at` when it is free,
 * else the nearest free spot on rings of growing size around it (below and to the right first).
 */
export function freeSpot(g: Graph, at: { x: number; y: number }): { x: number; y: number } {
  if (!overlaps(g, at.x, at.y)) return at;
  for (let ring = 1; ring <= 12; ring++) {
    for (let dx = -ring; dx <= ring; dx++) {
      for (const dy of [ring, -ring]) {
        const x = at.x + dx * W;
        const y = at.y + dy * H;
        if (!overlaps(g, x, y)) return { x, y };
      }
    }
    for (let dy = -ring + 1; dy < ring; dy++) {
      for (const dx of [ring, -ring]) {
        const x = at.x + dx * W;
        const y = at.y + dy * H;
        if (!overlaps(g, x, y)) return { x, y };
      }
    }
  }
  return at;
}
