/**
 * A read-only canvas of a run: the graph it ran (its snapshot), each node lit by its state,
 * edges animated while data flows; click a node to inspect it. Reusable (run detail, time
 * travel): give it the graph, a NodeSource (graphSource(graph, useRunNode)) and the flowing
 * edges. Needs a ReactFlowProvider above it.
 */
import { useCallback, useEffect, useMemo, useState, type JSX } from 'react';
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow, useReactFlow, type NodeChange } from '@xyflow/react';
import type { Graph } from '../../core/graph/schema';
import { flowEdges, type FlowEdge, type FlowNode } from '../doc/flow';
import { NO_ISSUES } from '../doc/issues';
import { NODE_COLORS } from '../editor/Canvas';
import { NodeSourceContext, type NodeSource } from '../editor/nodes/node-source';
import { StatepipeNode } from '../editor/nodes/StatepipeNode';
import { useTheme } from '../ui/theme';

const nodeTypes = { statepipe: StatepipeNode };
const NONE: readonly string[] = [];

export function RunCanvas({ graph, source, selected, onSelect, flowing }: { graph: Graph; source: NodeSource; selected: string | null; onSelect(id: string | null): void; flowing: string }): JSX.Element {
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const { fitView } = useReactFlow();
  const { theme } = useTheme();
  const nodes = useMemo<FlowNode[]>(
    () =>
      graph.nodes.map((n) => {
        const m = measured[n.id];
        return { id: n.id, type: 'statepipe', position: n.position ?? { x: 0, y: 0 }, data: { type: n.type }, selected: n.id === selected, draggable: false, connectable: false, ...(m ? { measured: m } : {}) };
      }),
    [graph, measured, selected],
  );
  const animated = useMemo(() => new Set(flowing ? flowing.split('\n') : []), [flowing]);
  const edges = useMemo(() => flowEdges({ graph, selectedEdges: NONE, issues: NO_ISSUES, animated }), [graph, animated]);
  useEffect(() => {
    const t = setTimeout(() => void fitView({ padding: 0.2, maxZoom: 1.1 }), 60);
    return () => clearTimeout(t);
  }, [graph, fitView]);
  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const sizes: Record<string, { width: number; height: number }> = {};
    for (const c of changes) if (c.type === 'dimensions' && c.dimensions) sizes[c.id] = c.dimensions;
    if (Object.keys(sizes).length) setMeasured((m) => ({ ...m, ...sizes }));
  }, []);
  return (
    <NodeSourceContext.Provider value={source}>
      <div className="canvas canvas-readonly" data-testid="run-mode-canvas">
        <ReactFlow<FlowNode, FlowEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={onNodesChange}
          onNodeClick={(_e, n) => onSelect(n.id)}
          onPaneClick={() => onSelect(null)}
          nodesDraggable={false}
          nodesConnectable={false}
          edgesFocusable={false}
          deleteKeyCode={null}
          colorMode={theme}
          minZoom={0.1}
          maxZoom={2.5}
          defaultEdgeOptions={{ type: 'smoothstep' }}
          proOptions={{ hideAttribution: true }}
        >
          <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
          <MiniMap pannable zoomable style={{ width: 168, height: 110 }} nodeColor={(n) => NODE_COLORS[(n.data as { type: string }).type] ?? '#888'} nodeBorderRadius={6} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </NodeSourceContext.Provider>
  );
}
