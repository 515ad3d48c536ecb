/**
 * The canvas node (memoized): it reads only its own slice of the stores (its graph node, its
 * problems, its run status), so an edit re-renders just the nodes it touched.
 */
import { memo, type JSX } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { TYPE_LABELS, isBranching } from '../../doc/defaults';
import type { FlowNode } from '../../doc/flow';
import { useDoc } from '../../doc/store';
import { useNodeStatus, useRun } from '../../run/run-store';
import { StateIcon, TypeIcon } from '../../ui/icons';
import { SUMMARIES } from './summaries';

const EMPTY: string[] = [];

function inputKeysOf(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props && typeof props === 'object' ? Object.keys(props) : EMPTY;
}

export const StatepipeNode = memo(function StatepipeNode({ id, selected }: NodeProps<FlowNode>): JSX.Element | null {
  const node = useDoc((s) => s.index.get(id));
  const problems = useDoc((s) => s.issues.nodes[id]?.join('\n') ?? '');
  const inputSchema = useDoc((s) => (node?.type === 'input' ? s.graph.input : undefined));
  const status = useNodeStatus(id);
  const stream = useRun((s) => (node?.type === 'llm' || node?.type === 'agent' ? (s.view?.nodes[id]?.stream ?? '') : ''));
  if (!node) return null;
  const type = node.type;
  const Summary = SUMMARIES[type];
  const count = problems ? problems.split('\n').length : 0;
  return (
    <div
      className={`sp-node type-${type}${isBranching(type) ? ' is-branching' : ''} status-${status}${selected ? ' is-selected' : ''}${count ? ' is-invalid' : ''}`}
      data-testid={`node-${id}`}
      data-status={status}
      data-invalid={count ? 'true' : undefined}
      title={problems || undefined}
    >
      {type !== 'input' && <Handle type="target" position={Position.Left} className="sp-handle" />}
      <div className="sp-node-head">
        <span className="sp-type-icon">
          <TypeIcon type={type} size={15} />
        </span>
        <div className="sp-titles">
          <div className="sp-label">{node.label || TYPE_LABELS[type] || type}</div>
          <div className="sp-id mono">{id}</div>
        </div>
        {status !== 'idle' && (
          <span className={`sp-status status-${status}`} title={status} aria-label={`status: ${status}`}>
            <StateIcon state={status} size={13} />
          </span>
        )}
      </div>
      <div className="sp-node-body">{Summary?.(node, { inputKeys: inputKeysOf(inputSchema) })}</div>
      {stream && (
        <div className="sp-stream" data-testid={`node-stream-${id}`}>
          {stream}
        </div>
      )}
      {count > 0 && (
        <div className="sp-problems" role="alert">
          {problems.split('\n').map((p) => (
            <div key={p} className="sp-problem">
              {p}
            </div>
          ))}
        </div>
      )}
      {isBranching(type) ? (
        <>
          <Handle type="source" position={Position.Right} id="true" className="sp-handle sp-handle-true" style={{ top: '36%' }} />
          <span className="sp-branch sp-branch-true">true</span>
          <Handle type="source" position={Position.Right} id="false" className="sp-handle sp-handle-false" style={{ top: '72%' }} />
          <span className="sp-branch sp-branch-false">false</span>
        </>
      ) : (
        type !== 'output' && <Handle type="source" position={Position.Right} className="sp-handle" />
      )}
    </div>
  );
});
