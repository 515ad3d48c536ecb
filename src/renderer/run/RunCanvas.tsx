/**
 * A read-only canvas of a run: the graph it ran (its snapshot), each node lit by its state,
 * edges animated while data flows; click a node to inspect it. Reusable (run detail, time
 * travel): give it the graph, a NodeSource (graphSource(graph, useRunNode)) and the flowing
 * edges. Needs a ReactFlowProvider above it.
 */
import { useCallback, useEffect, useMemo, useState, type JSX } from 'react';
import { ReactFlow, useReactFlow, type NodeChange } from '@xyflow/react';
import type { Graph } from '../../core/graph/schema';
import { flowEdges, type FlowEdge, type FlowNode } from '../doc/flow';
import { NO_ISSUES } from '../doc/issues';
import { CanvasChrome, FLOW_PROPS } from '../editor/Canvas';
import { NO_EDGES, useZoomedOut, ZoomedOutContext } from '../editor/lod';
import { NodeSourceContext, type NodeSource } from '../editor/nodes/node-source';
import { StatepipeNode } from '../editor/nodes/StatepipeNode';
import { useTheme } from '../ui/theme';

const nodeTypes = { statepipe: StatepipeNode };
const NONE: readonly string[] = [];

export function RunCanvas({
  graph,
  source,
  selected,
  onSelect,
  flowing,
}: {
  graph: Graph;
  source: NodeSource;
  selected: string | null;
  onSelect(id: string | null): void;
  flowing: string;
}): JSX.Element {
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const { fitView } = useReactFlow();
  const { theme } = useTheme();
  const zoomedOut = useZoomedOut();
  const nodes = useMemo<FlowNode[]>(
    () =>
      graph.nodes.map((n) => {
        const m = measured[n.id];
        return {
          id: n.id,
          type: 'statepipe',
          position: n.position ?? { x: 0, y: 0 },
          data: { type: n.type },
          selected: n.id === selected,
          draggable: false,
          connectable: false,
          ...(m ? { measured: m } : {}),
        };
      }),
    [graph, measured, selected],
  );
  const animated = useMemo(() => new Set(flowing ? flowing.split('\n') : []), [flowing]);
  const edges = useMemo(
    () => flowEdges({ graph, selectedEdges: NONE, issues: NO_ISSUES, animated }),
    [graph, animated],
  );
  useEffect(() => {
    const t = setTimeout(() => void fitView({ padding: 0.2, maxZoom: 1.1 }), 60);
    return () => clearTimeout(t);
  }, [graph, fitView]);
  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const sizes: Record<string, { width: number; height: number }> = {};
    for (const c of changes) if (c.type === 'dimensions' && c.dimensions) sizes[c.id] = c.dimensions;
    if (Object.keys(sizes).length) setMeasured((m) => ({ ...m, ...sizes }));
  }, []);
  const onNodeClick = useCallback((_e: unknown, n: FlowNode) => onSelect(n.id), [onSelect]);
  const onPaneClick = useCallback(() => onSelect(null), [onSelect]);
  return (
    <NodeSourceContext.Provider value={source}>
      <ZoomedOutContext.Provider value={zoomedOut}>
        <div className={`canvas canvas-readonly${zoomedOut ? ' is-lod' : ''}`} data-testid="run-mode-canvas">
          <ReactFlow<FlowNode, FlowEdge>
            nodes={nodes}
            edges={zoomedOut ? NO_EDGES : edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onNodeClick={onNodeClick}
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
        </div>
      </ZoomedOutContext.Provider>
    </NodeSourceContext.Provider>
  );
}
