/** The palette: drag a node type onto the canvas, or click it to add one in view. */
import type { JSX } from 'react';
import { useReactFlow } from '@xyflow/react';
import { NODE_KINDS, type NodeType } from '../../core/nodes/registry';
import { NEW_CARD, placeInView } from '../doc/place';
import { docStore } from '../doc/store';
import { TypeIcon } from '../ui/icons';
import { addNodeAt, DRAG_MIME } from './Canvas';
import { cardRects, visibleFlowRect } from './view-rect';

/** The card the last palette click added (and in which loaded document), to put the next one beside it. */
let lastAdded: { id: string; loadCount: number } | null = null;

export function Palette(): JSX.Element {
  const { screenToFlowPosition, setCenter, getZoom } = useReactFlow();
  const addInView = (type: NodeType) => {
    const s = docStore.getState();
    const view = visibleFlowRect({ screenToFlowPosition });
    const cards = cardRects(s.graph.nodes, s.measured);
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
