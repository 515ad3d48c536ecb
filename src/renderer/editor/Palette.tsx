/** The palette: drag a node type onto the canvas, or click it to add one in view. */
import type { JSX } from 'react';
import { useReactFlow } from '@xyflow/react';
import { NODE_KINDS, type NodeType } from '../../core/nodes/registry';
import { NEW_CARD, placeInView } from '../doc/place';
import { docStore } from '../doc/store';
import { TypeIcon } from '../ui/icons';
import { addNodeAt, DRAG_MIME } from './Canvas';

/** The card the last palette click added (and in which loaded document), to put the next one beside it. */
let lastAdded: { id: string; loadCount: number } | null = null;

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

export function Palette(): JSX.Element {
  const { screenToFlowPosition, setCenter, getZoom } = useReactFlow();
  const addInView = (type: NodeType) => {
    const s = docStore.getState();
    const screen = visibleScreen();
    const a = screenToFlowPosition({ x: screen.left, y: screen.top });
    const b = screenToFlowPosition({ x: screen.right, y: screen.bottom });
    const view = { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y };
    const cards = s.graph.nodes.flatMap((n) =>
      n.position ? [{ ...n.position, ...NEW_CARD, ...s.measured[n.id], id: n.id }] : [],
    );
    const after = lastAdded?.loadCount === s.loadCount ? cards.find((c) => c.id === lastAdded!.id) : undefined;
    // In view, clear of every card, beside the one added last (see place.ts).
    const spot = placeInView(cards, view, after);
    const id = addNodeAt(type, { x: spot.x + 100, y: spot.y + 36 });
    lastAdded = { id, loadCount: s.loadCount };
    // No room in view: the view moves to show the new card (its zoom kept).
    if (!spot.inView)
      void setCenter(spot.x + NEW_CARD.width / 2, spot.y + NEW_CARD.height / 2, { zoom: getZoom(), duration: 0 });
  };
  return (
    <aside className="palette" aria-label="Node palette">
      <div className="panel-title">Nodes</div>
      {NODE_KINDS.map(({ type, label, hint }) => (
        <button
          key={type}
          type="button"
          className={`palette-item type-${type}`}
          data-testid={`palette-${type}`}
          draggable
          title={`${hint}: drag onto the canvas or click to add`}
          onDragStart={(e) => {
            e.dataTransfer.setData(DRAG_MIME, type);
            e.dataTransfer.effectAllowed = 'copy';
          }}
          onClick={() => addInView(type)}
        >
          <span className="palette-icon">
            <TypeIcon type={type} size={16} />
          </span>
          <span className="palette-text">
            <span className="palette-name">{label}</span>
            <span className="palette-hint">{hint}</span>
          </span>
        </button>
      ))}
    </aside>
  );
}
