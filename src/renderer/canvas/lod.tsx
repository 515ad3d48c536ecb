/**
 * Level of detail. Below LOD_ZOOM a node's text is a few pixels high, so the canvas draws each
 * node as a box in its state's color (no text, icons or animations), no background dots, and
 * every edge as one svg path (LodEdges) in place of xyflow's edges, which are one svg and a few
 * store subscriptions each: thousands of those cost more per frame than the nodes. So, zoomed
 * out, xyflow gets no edges (NO_EDGES): edges cannot be clicked; nodes keep every interaction
 * (deleting a node still removes its edges: the document does that).
 */
import { createContext, useMemo, type JSX } from 'react';
import { getSmoothStepPath, Position, useStore, ViewportPortal, type Edge, type InternalNode } from '@xyflow/react';

const LOD_ZOOM = 0.4;

/**
 * A zoomed-out card's size before it was ever measured (styles.css: `.sp-node`'s width, `.sp-lod`'s
 * height). A read-only canvas gives its nodes this size until they are measured: opened zoomed out,
 * xyflow's measuring then finds nothing changed, and no second pass over every node follows it.
 */
export const LOD_CARD: Readonly<{ width: number; height: number }> = { width: 188, height: 64 };

/**
 * Whether the canvas is zoomed out below LOD_ZOOM; re-renders the caller only when that flips.
 * `startZoom`: the zoom the canvas mounts with (its default viewport), used until xyflow has taken
 * it (its zoom is 1 before), so that the first render is already at the right level of detail.
 */
export const useZoomedOut = (startZoom?: number): boolean =>
  useStore((s) => (s.panZoom === null && startZoom !== undefined ? startZoom : s.transform[2]) < LOD_ZOOM);

export const NO_EDGES: Edge[] = [];

/** useZoomedOut() of the canvas, for its nodes: one store subscription per canvas, not per node. */
export const ZoomedOutContext = createContext(false);

/** Where on its box a handle on each side meets its edge. */
const SIDE: Record<Position, [number, number]> = {
  [Position.Left]: [0, 0.5],
  [Position.Right]: [1, 0.5],
  [Position.Top]: [0.5, 0],
  [Position.Bottom]: [0.5, 1],
};

/** Where an edge leaves or enters a node, as xyflow's own edges do: the named handle, else the first. */
function handlePoint(
  node: InternalNode | undefined,
  type: 'source' | 'target',
  id: string | null | undefined,
): { x: number; y: number; position: Position } | null {
  const handles = node?.internals.handleBounds?.[type];
  const h = id ? handles?.find((x) => x.id === id) : handles?.[0];
  if (!node || !h) return null;
  const [fx, fy] = SIDE[h.position];
  return {
    x: node.internals.positionAbsolute.x + h.x + h.width * fx,
    y: node.internals.positionAbsolute.y + h.y + h.height * fy,
    position: h.position,
  };
}

/** Every edge as one path, below the nodes; recomputed when nodes move or are measured, not on pan or zoom. */
export function LodEdges({ edges }: { edges: readonly Edge[] }): JSX.Element {
  // The lookup is mutated in place; `nodes` is a new array whenever a node moves or is measured.
  const nodes = useStore((s) => s.nodes);
  const lookup = useStore((s) => s.nodeLookup);
  const d = useMemo(() => {
    const parts: string[] = [];
    for (const e of edges) {
      const s = handlePoint(lookup.get(e.source), 'source', e.sourceHandle);
      const t = handlePoint(lookup.get(e.target), 'target', e.targetHandle);
      if (s && t)
        parts.push(
          getSmoothStepPath({
            sourceX: s.x,
            sourceY: s.y,
            sourcePosition: s.position,
            targetX: t.x,
            targetY: t.y,
            targetPosition: t.position,
          })[0],
        );
    }
    return parts.join('');
  }, [edges, lookup, nodes]);
  return (
    <ViewportPortal>
      <svg className="sp-lod-edges" aria-hidden="true">
        <path d={d} />
      </svg>
    </ViewportPortal>
  );
}
