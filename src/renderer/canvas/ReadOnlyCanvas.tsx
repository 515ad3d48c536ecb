/**
 * The one read-only canvas: a graph as a run saw it (the run view, time travel) or as a diff
 * shows it, with the same card as the editor. Cards read their node, run state and diff mark
 * from the NodeSource given (`graphSource(graph, useRunNode, …)`); edges in `flowing` animate.
 * A graph saved without positions is laid out (elk, loaded on first use). Click a card to
 * select it. It has its own xyflow store (its own viewport).
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type JSX } from 'react';
import {
  getViewportForBounds,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type NodeChange,
  type Viewport,
} from '@xyflow/react';
import type { Graph } from '../../core/graph/schema';
import { flowEdges, type FlowEdge, type FlowNode } from '../doc/flow';
import { NO_ISSUES } from '../doc/issue-map';
import { autoLayout } from '../doc/layout';
import { useTheme } from '../ui/theme';
import { CanvasChrome, FLOW_PROPS, NODE_TYPES } from './chrome';
import { LOD_CARD, NO_EDGES, useZoomedOut, ZoomedOutContext } from './lod';
import { NodeSourceContext, type NodeSource } from './node-source';

const NONE: readonly string[] = [];
const ORIGIN = { x: 0, y: 0 };
type Positions = Record<string, { x: number; y: number }>;
/** A card's size before it is measured (its CSS width; a typical height). */
const CARD = { width: LOD_CARD.width, height: 72 };
const FIT = { padding: 0.2, maxZoom: 1.1 };

/**
 * The view that fits the graph, from its positions and the cards' usual size, before any card is
 * measured: the canvas opens at (about) the zoom it will keep, so a large graph is drawn zoomed out
 * (lod.tsx) from its first frame, not first in full at zoom 1 and again once fitted.
 */
function initialViewport(positions: Positions, size: { width: number; height: number }): Viewport {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of Object.values(positions)) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + CARD.width);
    y1 = Math.max(y1, p.y + CARD.height);
  }
  if (!Number.isFinite(x0) || size.width === 0 || size.height === 0) return { x: 0, y: 0, zoom: 1 };
  const bounds = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  return getViewportForBounds(bounds, size.width, size.height, FLOW_PROPS.minZoom, FIT.maxZoom, FIT.padding);
}

/** The graph's own positions, or an automatic layout when some node has none. */
function usePositions(graph: Graph): Positions | null {
  const own = useMemo(() => {
    const p: Positions = {};
    for (const n of graph.nodes) if (n.position) p[n.id] = n.position;
    return Object.keys(p).length === graph.nodes.length ? p : null;
  }, [graph]);
  const [laid, setLaid] = useState<{ graph: Graph; positions: Positions } | null>(null);
  useEffect(() => {
    if (own) return;
    let live = true;
    void autoLayout(graph).then(
      (ps) => live && setLaid({ graph, positions: Object.fromEntries(ps.map((p) => [p.id, p.position])) }),
    );
    return () => {
      live = false;
    };
  }, [graph, own]);
  return own ?? (laid?.graph === graph ? laid.positions : null);
}

export interface ReadOnlyCanvasProps {
  graph: Graph;
  source: NodeSource;
  selected: string | null;
  onSelect(id: string | null): void;
  /** A double-click on a card (a composition node opens its child run). */
  onOpen?(id: string): void;
  /** Ids of the edges data flows along, one per line (a string, so equal sets are equal). */
  flowing?: string;
  /** Extra class names of edges (a diff marks the changed path). */
  edgeClasses?: Readonly<Record<string, string>>;
  testId?: string;
}

export function ReadOnlyCanvas(props: ReadOnlyCanvasProps): JSX.Element {
  return (
    <ReactFlowProvider>
      <Flow {...props} />
    </ReactFlowProvider>
  );
}

function Flow({
  graph,
  source,
  selected,
  onSelect,
  onOpen,
  flowing = '',
  edgeClasses,
  testId = 'run-canvas',
}: ReadOnlyCanvasProps): JSX.Element {
  const positions = usePositions(graph);
  // The canvas's size, read before its first paint: xyflow is mounted once it and the positions are known.
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  useLayoutEffect(() => {
    const el = box.current;
    if (el) setSize({ width: el.clientWidth, height: el.clientHeight });
  }, []);
  // Read by xyflow when it mounts only.
  const start = useMemo(() => (positions && size ? initialViewport(positions, size) : null), [positions, size]);
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const { fitView } = useReactFlow();
  const { theme } = useTheme();
  const zoomedOut = useZoomedOut(start?.zoom);
  // A node object is new only when its own size, selection or place changed: xyflow then updates
  // only that node (a measuring pass over 2 000 cards would otherwise rebuild all of them each time).
  const made = useRef(new Map<string, FlowNode>());
  const nodes = useMemo<FlowNode[]>(() => {
    if (!positions) return [];
    return graph.nodes.map((n) => {
      const m = measured[n.id] ?? LOD_CARD;
      const sel = n.id === selected;
      const at = positions[n.id] ?? ORIGIN;
      const hit = made.current.get(n.id);
      if (hit && hit.measured === m && hit.selected === sel && hit.position === at && hit.data.type === n.type)
        return hit;
      const fresh: FlowNode = {
        id: n.id,
        type: 'statepipe',
        position: at,
        data: { type: n.type },
        selected: sel,
        draggable: false,
        connectable: false,
        ...(m ? { measured: m } : {}),
      };
      made.current.set(n.id, fresh);
      return fresh;
    });
  }, [graph, positions, measured, selected]);
  // None when zoomed out: xyflow has no edges then (see lod.tsx) and the cards' colors show the flow.
  // Zoomed out, nothing animates: the flow changing (every wave of a run) then changes no edge.
  const shownFlowing = zoomedOut ? '' : flowing;
  const animated = useMemo(() => new Set(shownFlowing ? shownFlowing.split('\n') : []), [shownFlowing]);
  const edges = useMemo(() => {
    const list = flowEdges({ graph, selectedEdges: NONE, issues: NO_ISSUES, animated });
    return edgeClasses
      ? list.map((e) =>
          edgeClasses[e.id] ? { ...e, className: `${e.className ?? ''} ${edgeClasses[e.id]}`.trim() } : e,
        )
      : list;
  }, [graph, animated, edgeClasses]);
  useEffect(() => {
    if (!positions) return;
    const t = setTimeout(() => void fitView(FIT), 60);
    return () => clearTimeout(t);
  }, [graph, positions, fitView]);
  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const sizes: Record<string, { width: number; height: number }> = {};
    for (const c of changes) if (c.type === 'dimensions' && c.dimensions) sizes[c.id] = c.dimensions;
    if (Object.keys(sizes).length) setMeasured((m) => ({ ...m, ...sizes }));
  }, []);
  // xyflow hands its node handlers to every card's wrapper: new handlers re-render all of them, so
  // these stay the same for the canvas's life and call the latest props.
  const handlers = useRef({ onSelect, onOpen });
  useLayoutEffect(() => {
    handlers.current = { onSelect, onOpen };
  });
  const onNodeClick = useCallback((_e: unknown, n: FlowNode) => handlers.current.onSelect(n.id), []);
  const onPaneClick = useCallback(() => handlers.current.onSelect(null), []);
  const onNodeDoubleClick = useCallback((_e: unknown, n: FlowNode) => handlers.current.onOpen?.(n.id), []);
  return (
    <NodeSourceContext.Provider value={source}>
      <ZoomedOutContext.Provider value={zoomedOut}>
        <div className={`canvas canvas-readonly${zoomedOut ? ' is-lod' : ''}`} data-testid={testId} ref={box}>
          {start && (
            <ReactFlow<FlowNode, FlowEdge>
              defaultViewport={start}
              nodes={nodes}
              edges={zoomedOut ? NO_EDGES : edges}
              nodeTypes={NODE_TYPES}
              onNodesChange={onNodesChange}
              onNodeClick={onNodeClick}
              onNodeDoubleClick={onOpen ? onNodeDoubleClick : undefined}
              zoomOnDoubleClick={!onOpen}
              onPaneClick={onPaneClick}
              nodesDraggable={false}
              nodesConnectable={false}
              edgesFocusable={false}
              deleteKeyCode={null}
              colorMode={theme}
              {...FLOW_PROPS}
              onlyRenderVisibleElements={!zoomedOut}
            >
              <CanvasChrome zoomedOut={zoomedOut} edges={edges} />
            </ReactFlow>
          )}
        </div>
      </ZoomedOutContext.Provider>
    </NodeSourceContext.Provider>
  );
}
