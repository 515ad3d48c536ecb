/**
 * What placing cards in view needs of the editor's canvas (doc/place.ts does the placing): the
 * visible part of the canvas in canvas coordinates, and every card's box as last measured.
 */
import type { ReactFlowInstance } from '@xyflow/react';
import type { GraphNode } from '../../core/graph/schema';
import { NEW_CARD, type Rect } from '../doc/place';
import type { DocState } from '../doc/store';

/** The canvas's visible part on screen, inside a margin and above the zoom controls and the minimap. */
function visibleScreen(): { left: number; top: number; right: number; bottom: number } {
  const canvas = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
  if (!canvas) return { left: 0, top: 0, right: 800, bottom: 600 };
  const margin = 20;
  let bottom = canvas.bottom - margin;
  for (const chrome of ['.react-flow__minimap', '.react-flow__controls']) {
    const r = document.querySelector(`[data-testid="canvas"] ${chrome}`)?.getBoundingClientRect();
    if (r && r.height > 0) bottom = Math.min(bottom, r.top - margin);
  }
  return { left: canvas.left + margin, top: canvas.top + margin, right: canvas.right - margin, bottom };
}

/** The visible part of the canvas (never under the side panel, the minimap or the zoom controls), in canvas coordinates. */
export function visibleFlowRect(flow: Pick<ReactFlowInstance, 'screenToFlowPosition'>): Rect {
  const screen = visibleScreen();
  const a = flow.screenToFlowPosition({ x: screen.left, y: screen.top });
  const b = flow.screenToFlowPosition({ x: screen.right, y: screen.bottom });
  return { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y };
}

/** Cards' boxes on the canvas: their positions and their measured sizes (a new card's until measured). */
export function cardRects(nodes: readonly GraphNode[], measured: DocState['measured']): (Rect & { id: string })[] {
  return nodes.flatMap((n) => (n.position ? [{ ...n.position, ...NEW_CARD, ...measured[n.id], id: n.id }] : []));
}
