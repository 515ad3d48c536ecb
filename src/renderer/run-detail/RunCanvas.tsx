/**
 * A read-only canvas of a graph as a run saw it: each node shows a status (time travel or the
 * end of the run) and, in a diff, whether its output changed. Nodes carry the same test hooks
 * as the editor's (`node-<id>`, `data-status`), plus `data-diff`.
 */
import { memo, useEffect, useMemo, useState, type JSX } from 'react';
import {
  Background,
  BackgroundVariant,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { Graph } from '../../core/graph/schema';
import { TYPE_LABELS } from '../doc/defaults';
import { autoLayout } from '../doc/layout';
import { StateIcon, TypeIcon } from '../ui/icons';
import { useTheme } from '../ui/theme';

export type DiffMark = 'changed' | 'same' | 'only-a' | 'only-b';

type RunNodeData = { type: string; label: string; status: string; diff?: DiffMark; note?: string; selected: boolean };
type RunFlowNode = Node<RunNodeData, 'run'>;

const RunNode = memo(function RunNode({ id, data }: NodeProps<RunFlowNode>): JSX.Element {
  const { type, status, diff } = data;
  return (
    <div
      className={`sp-node rd-node type-${type} status-${status}${diff ? ` diff-${diff}` : ''}${data.selected ? ' is-selected' : ''}`}
      data-testid={`node-${id}`}
      data-status={status}
      data-diff={diff}
    >
      {type !== 'input' && (
        <Handle type="target" position={Position.Left} className="sp-handle" isConnectable={false} />
      )}
      <div className="sp-node-head">
        <span className="sp-type-icon">
          <TypeIcon type={type} size={15} />
        </span>
        <div className="sp-titles">
          <div className="sp-label">{data.label}</div>
          <div className="sp-id mono">{id}</div>
        </div>
        {status !== 'idle' && (
          <span className={`sp-status status-${status}`} title={status} aria-label={`status: ${status}`}>
            <StateIcon state={status} size={13} />
          </span>
        )}
      </div>
      {(data.note || diff === 'changed') && (
        <div className="rd-note">
          {diff === 'changed' ? `output changed${data.note ? ` · ${data.note}` : ''}` : data.note}
        </div>
      )}
      {type !== 'output' && (
        <Handle type="source" position={Position.Right} className="sp-handle" isConnectable={false} />
      )}
    </div>
  );
});

const nodeTypes = { run: RunNode };

function usePositions(graph: Graph): Record<string, { x: number; y: number }> | null {
  const [laid, setLaid] = useState<Record<string, { x: number; y: number }> | null>(null);
  useEffect(() => {
    const own = Object.fromEntries(graph.nodes.filter((n) => n.position).map((n) => [n.id, n.position!]));
    if (Object.keys(own).length === graph.nodes.length) return setLaid(own);
    let live = true;
    void autoLayout(graph).then((ps) => live && setLaid(Object.fromEntries(ps.map((p) => [p.id, p.position]))));
    return () => {
      live = false;
    };
  }, [graph]);
  return laid;
}

export interface RunCanvasProps {
  graph: Graph;
  statuses: Record<string, string>;
  diff?: Record<string, DiffMark>;
  notes?: Record<string, string>;
  selected?: string | null;
  onSelect?(nodeId: string | null): void;
  testId?: string;
}

export function RunCanvas({
  graph,
  statuses,
  diff,
  notes,
  selected,
  onSelect,
  testId = 'run-canvas',
}: RunCanvasProps): JSX.Element {
  const positions = usePositions(graph);
  const { theme } = useTheme();
  const nodes = useMemo<RunFlowNode[]>(
    () =>
      positions
        ? graph.nodes.map((n) => ({
            id: n.id,
            type: 'run',
            position: positions[n.id] ?? { x: 0, y: 0 },
            draggable: false,
            connectable: false,
            data: {
              type: n.type,
              label: n.label || TYPE_LABELS[n.type] || n.type,
              status: statuses[n.id] ?? 'idle',
              selected: selected === n.id,
              ...(diff?.[n.id] ? { diff: diff[n.id] } : {}),
              ...(notes?.[n.id] ? { note: notes[n.id] } : {}),
            },
          }))
        : [],
    [graph, positions, statuses, diff, notes, selected],
  );
  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((e) => {
        const running = statuses[e.source] === 'succeeded' && statuses[e.target] === 'running';
        const changed = diff?.[e.source] === 'changed' && diff?.[e.target] === 'changed';
        return {
          id: e.id,
          source: e.source,
          target: e.target,
          animated: running,
          ...(e.when !== undefined
            ? { label: e.when ? 'true' : 'false', className: e.when ? 'when-true' : 'when-false' }
            : {}),
          ...(changed ? { className: 'diff-edge' } : {}),
        };
      }),
    [graph, statuses, diff],
  );
  return (
    <div className="canvas rd-canvas" data-testid={testId}>
      {positions && (
        <ReactFlow<RunFlowNode, Edge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable
          fitView
          fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
          colorMode={theme}
          minZoom={0.1}
          maxZoom={2}
          defaultEdgeOptions={{ type: 'smoothstep' }}
          proOptions={{ hideAttribution: true }}
          onNodeClick={(_e, n) => onSelect?.(n.id === selected ? null : n.id)}
          onPaneClick={() => onSelect?.(null)}
        >
          <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
          <Controls showInteractive={false} />
        </ReactFlow>
      )}
    </div>
  );
}
