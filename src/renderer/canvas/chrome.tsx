/** What every canvas shares inside xyflow: stable props, the card type, the minimap, zoom controls and the background. */
import type { JSX } from 'react';
import { Background, BackgroundVariant, Controls, MiniMap } from '@xyflow/react';
import type { FlowEdge } from '../doc/flow';
import { kindUi } from '../doc/node-kinds';
import { LodEdges } from './lod';
import { NodeCard } from './NodeCard';

/** The one card type of every canvas (editor, run view, diffs). */
export const NODE_TYPES = { statepipe: NodeCard };

/** xyflow props every canvas shares: made once, as xyflow compares them by reference. */
export const FLOW_PROPS = {
  minZoom: 0.1,
  maxZoom: 2.5,
  defaultEdgeOptions: { type: 'smoothstep' },
  proOptions: { hideAttribution: true },
} as const;
const miniMapColor = (n: { data: unknown }): string => kindUi((n.data as { type: string }).type)?.color ?? '#888';
const MINIMAP_STYLE = { width: 168, height: 110 };

/** The edges zoomed out (or the background dots), the minimap and the zoom controls. */
export function CanvasChrome({ zoomedOut, edges }: { zoomedOut: boolean; edges: readonly FlowEdge[] }): JSX.Element {
  return (
    <>
      {zoomedOut ? <LodEdges edges={edges} /> : <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />}
      <MiniMap
        pannable
        zoomable
        style={MINIMAP_STYLE}
        nodeColor={miniMapColor}
        nodeBorderRadius={6}
        ariaLabel="Minimap"
      />
      <Controls showInteractive={false} aria-label="Zoom" />
    </>
  );
}
