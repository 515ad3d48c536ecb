/** The graph canvas (@xyflow/react), controlled by the document store. */
import {
  useCallback,
  useEffect,
  useMemo,
  useState,
  type DragEvent,
  type JSX,
  type MouseEvent as ReactMouseEvent,
} from 'react';
import { ReactFlow, useReactFlow, type Connection, type EdgeChange, type NodeChange } from '@xyflow/react';
import { isNodeType, type NodeType } from '../../core/nodes/registry';
import { CanvasChrome, FLOW_PROPS, NODE_TYPES } from '../canvas/chrome';
import { NO_EDGES, useZoomedOut, ZoomedOutContext } from '../canvas/lod';
import { NodeSourceContext } from '../canvas/node-source';
import { makeNode } from '../doc/defaults';
import { flowEdges, flowNodes, type FlowEdge, type FlowNode } from '../doc/flow';
import { connectEdge, removeChanges } from '../doc/graph-edit';
import { docStore, useDoc } from '../doc/store';
import { useTheme } from '../ui/theme';
import { docSource } from './doc-source';
import { SelectionMenu } from './SubgraphDialog';

export const DRAG_MIME = 'application/statepipe-node';
const SNAP_GRID: [number, number] = [10, 10];
const DELETE_KEYS = ['Backspace', 'Delete'];
const MULTI_SELECT_KEYS = ['Meta', 'Control', 'Shift'];

/** Adds a node of `type` centred on a flow position and selects it. */
export function addNodeAt(type: NodeType, at: { x: number; y: number }): string {
  const s = docStore.getState();
  const node = makeNode(s.graph, type, { x: at.x - 100, y: at.y - 36 });
  s.apply({ type: 'add-node', node });
  s.select([node.id], []);
  return node.id;
}

export function Canvas(): JSX.Element {
  const graph = useDoc((s) => s.graph);
  const selectedNodes = useDoc((s) => s.selectedNodes);
  const selectedEdges = useDoc((s) => s.selectedEdges);
  const measured = useDoc((s) => s.measured);
  const issues = useDoc((s) => s.issues);
  const nodes = useMemo(
    () => flowNodes({ graph, selectedNodes, measured, issues }),
    [graph, selectedNodes, measured, issues],
  );
  const zoomedOut = useZoomedOut();
  const edges = useMemo(() => flowEdges({ graph, selectedEdges, issues }), [graph, selectedEdges, issues]);
  const loadCount = useDoc((s) => s.loadCount);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const { theme } = useTheme();
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);
  const onContextMenu = useCallback((e: ReactMouseEvent, node?: FlowNode | FlowNode[]) => {
    const s = docStore.getState();
    // A right-click on a node outside the selection selects it first (as file managers do).
    if (node && !Array.isArray(node) && !s.selectedNodes.includes(node.id)) s.select([node.id], []);
    if (docStore.getState().selectedNodes.length === 0) return;
    e.preventDefault();
    const box = (e.currentTarget as HTMLElement | null)?.closest('.canvas')?.getBoundingClientRect();
    setMenu({ x: e.clientX - (box?.left ?? 0), y: e.clientY - (box?.top ?? 0) });
  }, []);

  // Fit the view to each document loaded (not to every node added by hand).
  useEffect(() => {
    if (docStore.getState().graph.nodes.length === 0) return;
    const t = setTimeout(() => void fitView({ padding: 0.2, maxZoom: 1.1 }), 40);
    return () => clearTimeout(t);
  }, [loadCount, fitView]);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const s = docStore.getState();
    const moves: { id: string; position: { x: number; y: number } }[] = [];
    let dragging = false;
    const sizes: Record<string, { width: number; height: number }> = {};
    const removed: string[] = [];
    let sel: Set<string> | null = null;
    for (const c of changes) {
      if (c.type === 'position' && c.position) {
        moves.push({ id: c.id, position: c.position });
        dragging ||= c.dragging === true;
      } else if (c.type === 'position' && c.dragging === false) {
        s.move([], false);
      } else if (c.type === 'dimensions' && c.dimensions) sizes[c.id] = c.dimensions;
      else if (c.type === 'remove') removed.push(c.id);
      else if (c.type === 'select') {
        sel ??= new Set(s.selectedNodes);
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
    }
    if (moves.length) s.move(moves, dragging);
    if (Object.keys(sizes).length) s.setMeasured(sizes);
    if (sel) s.select([...sel], docStore.getState().selectedEdges);
    if (removed.length)
      s.apply(removeChanges(removed, []), { coalesce: `delete@${Math.floor(performance.now() / 50)}` });
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<FlowEdge>[]) => {
    const s = docStore.getState();
    const removed: string[] = [];
    let sel: Set<string> | null = null;
    for (const c of changes) {
      if (c.type === 'remove') removed.push(c.id);
      else if (c.type === 'select') {
        sel ??= new Set(s.selectedEdges);
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
    }
    if (sel) s.select(s.selectedNodes, [...sel]);
    if (removed.length)
      s.apply(removeChanges([], removed), { coalesce: `delete@${Math.floor(performance.now() / 50)}` });
  }, []);

  const onConnect = useCallback((c: Connection) => {
    const s = docStore.getState();
    const edge = connectEdge(s.graph, c.source, c.target, c.sourceHandle);
    if (edge) s.apply({ type: 'add-edge', edge });
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(DRAG_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(DRAG_MIME);
      if (!isNodeType(type)) return;
      e.preventDefault();
      addNodeAt(type as NodeType, screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [screenToFlowPosition],
  );

  return (
    <div className={zoomedOut ? 'canvas is-lod' : 'canvas'} data-testid="canvas">
      <NodeSourceContext.Provider value={docSource}>
        <ZoomedOutContext.Provider value={zoomedOut}>
          <ReactFlow<FlowNode, FlowEdge>
            nodes={nodes}
            edges={zoomedOut ? NO_EDGES : edges}
            nodeTypes={NODE_TYPES}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onDrop={onDrop}
            onDragOver={onDragOver}
            onNodeContextMenu={onContextMenu}
            onSelectionContextMenu={onContextMenu}
            onPaneClick={() => setMenu(null)}
            deleteKeyCode={DELETE_KEYS}
            multiSelectionKeyCode={MULTI_SELECT_KEYS}
            selectionKeyCode="Shift"
            colorMode={theme}
            {...FLOW_PROPS}
            snapToGrid
            snapGrid={SNAP_GRID}
            connectionRadius={28}
            onlyRenderVisibleElements={!zoomedOut}
          >
            <CanvasChrome zoomedOut={zoomedOut} edges={edges} />
          </ReactFlow>
        </ZoomedOutContext.Provider>
      </NodeSourceContext.Provider>
      {menu && <SelectionMenu at={menu} onClose={() => setMenu(null)} />}
      {graph.nodes.length === 0 && (
        <div className="canvas-empty">
          <div className="canvas-empty-title">An empty canvas</div>
          <div>Drag a node from the palette, or click one to add it. Start with an Input node.</div>
        </div>
      )}
    </div>
  );
}
