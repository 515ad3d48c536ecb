/** The palette: drag a node type onto the canvas, or click it to add one in view. */
import type { JSX } from 'react';
import { useReactFlow } from '@xyflow/react';
import { NODE_KINDS, type NodeType } from '../../core/nodes/registry';
import { freeSpot } from '../doc/place';
import { docStore } from '../doc/store';
import { TypeIcon } from '../ui/icons';
import { addNodeAt, DRAG_MIME } from './Canvas';

export function Palette(): JSX.Element {
  const { screenToFlowPosition } = useReactFlow();
  const addInView = (type: NodeType) => {
    const el = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    const center = el ? { x: el.left + el.width / 2, y: el.top + el.height / 2 } : { x: 400, y: 300 };
    // Centred in view, or the nearest spot no other card covers.
    const at = screenToFlowPosition(center);
    const spot = freeSpot(docStore.getState().graph, { x: at.x - 100, y: at.y - 36 });
    addNodeAt(type, { x: spot.x + 100, y: spot.y + 36 });
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
