/**
 * The canvas node (memoized): it reads only its own slice of the stores (its graph node, its
 * problems, its run state), so an edit or a run event re-renders just the nodes it touched.
 * Its state shows by color and icon (a spinner while running); an LLM node shows the tail of
 * its stream; a waiting approval has approve/reject buttons (in a live run); a diff marks it.
 * Zoomed out (lod.tsx) it is a box in its state's color, of the size it was last measured at,
 * with the same handles. The one card of every canvas: the editor, the run view, the diffs.
 */
import { memo, useContext, useDeferredValue, useMemo, type JSX } from 'react';
import { Handle, Position, useNodeConnections, type NodeProps } from '@xyflow/react';
import { errorMessageOf } from '../../core/errors';
import { isBranching, typeLabel } from '../doc/defaults';
import { kindUi } from '../doc/node-kinds';
import type { FlowNode } from '../doc/flow';
import { tokensText } from '../ui/spend';
import { DecisionButtons } from '../ui/DecisionButtons';
import { Icon, StateIcon, TypeIcon } from '../ui/icons';
import { ZoomedOutContext } from './lod';
import { useNodeSource, type CardRun } from './node-source';
import { streamTail } from './stream-tail';
import { Summary } from './summaries';

const EMPTY: string[] = [];

function inputKeysOf(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props && typeof props === 'object' ? Object.keys(props) : EMPTY;
}

/** A branching node's two outputs and how far down its right edge each sits. */
const BRANCH_HANDLES = [
  ['true', '36%'],
  ['false', '72%'],
] as const;

const STATUS_TEXT: Record<string, string> = { 'in-doubt': 'in doubt' };

type Props = Pick<NodeProps<FlowNode>, 'id' | 'selected' | 'width' | 'height'>;

export const NodeCard = memo(function NodeCard({ id, selected, width, height }: NodeProps<FlowNode>): JSX.Element {
  // Deferred: the switch renders in a background pass React can interrupt, not in the frame that crossed the threshold.
  return useDeferredValue(useContext(ZoomedOutContext)) ? (
    <CompactNode id={id} selected={selected} width={width} height={height} />
  ) : (
    <FullNode id={id} selected={selected} />
  );
});

/** Target on the left (not on inputs); one source on the right, or true/false on a branching node. */
function Handles({ type, connectable, labels }: { type: string; connectable: boolean; labels: boolean }): JSX.Element {
  return (
    <>
      {type !== 'input' && (
        <Handle type="target" position={Position.Left} className="sp-handle" isConnectable={connectable} />
      )}
      {isBranching(type) ? (
        <>
          {BRANCH_HANDLES.map(([branch, top]) => (
            <Handle
              key={branch}
              type="source"
              position={Position.Right}
              id={branch}
              className={`sp-handle sp-handle-${branch}`}
              style={{ top }}
              isConnectable={connectable}
            />
          ))}
          {labels && <BranchLabel branch="true" />}
          {labels && <BranchLabel branch="false" />}
        </>
      ) : (
        type !== 'output' && (
          <Handle type="source" position={Position.Right} className="sp-handle" isConnectable={connectable} />
        )
      )}
    </>
  );
}

/** A branch handle's name, while no edge leaves it (a connected branch is named on its edge). */
function BranchLabel({ branch }: { branch: 'true' | 'false' }): JSX.Element | null {
  const connected = useNodeConnections({ handleType: 'source', handleId: branch }).length > 0;
  return connected ? null : <span className={`sp-branch sp-branch-${branch}`}>{branch}</span>;
}

/** A composition node's children: the count line, a bar when the total is known, and the way in. */
function Progress({
  id,
  type,
  progress,
  open,
}: {
  id: string;
  type: string;
  progress: NonNullable<CardRun['progress']>;
  open: ((nodeId: string) => void) | undefined;
}): JSX.Element {
  const { done, failed, total } = progress;
  const share = total ? Math.min(1, done / total) : undefined;
  return (
    <div className="sp-progress" data-testid={`node-progress-${id}`}>
      <div className="sp-progress-line">
        <span>{progress.text}</span>
        {failed > 0 && <span className="sp-run-err">{failed} failed</span>}
        {open && (
          <button
            type="button"
            className="btn btn-sm btn-ghost sp-open-child nodrag nopan"
            data-testid={`open-child-${id}`}
            onClick={(e) => {
              e.stopPropagation();
              open(id);
            }}
            title={type === 'map' ? 'List the items' : 'Open the child run'}
          >
            {type === 'map' ? 'Items' : 'Open'} <Icon name="chevron" size={11} />
          </button>
        )}
      </div>
      {share !== undefined && type === 'map' && (
        <div
          className="sp-progress-bar"
          role="progressbar"
          aria-label={`${id}: items done`}
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={done}
        >
          <span style={{ width: `${Math.round(share * 100)}%` }} />
        </div>
      )}
      {progress.waits && (
        <div className="sp-progress-waits" data-testid={`node-waits-${id}`}>
          {progress.waits}
        </div>
      )}
    </div>
  );
}

function CompactNode({ id, selected, width, height }: Props): JSX.Element | null {
  const src = useNodeSource();
  const node = src.useNode(id);
  const invalid = src.useProblems(id) !== '';
  const status = src.useRunNode(id)?.status ?? 'idle';
  if (!node) return null;
  const type = node.type;
  return (
    <div
      className={`sp-node sp-lod type-${type}${isBranching(type) ? ' is-branching' : ''} status-${status}${selected ? ' is-selected' : ''}${invalid ? ' is-invalid' : ''}`}
      data-testid={`node-${id}`}
      data-status={status}
      data-invalid={invalid ? 'true' : undefined}
      title={`${node.label || typeLabel(type)} (${id}): ${STATUS_TEXT[status] ?? status}`}
      style={width && height ? { width, height } : undefined}
    >
      <Handles type={type} connectable={!src.readOnly} labels={false} />
    </div>
  );
}

function FullNode({ id, selected }: Pick<Props, 'id' | 'selected'>): JSX.Element | null {
  const src = useNodeSource();
  const node = src.useNode(id);
  const problems = src.useProblems(id);
  const inputSchema = src.useInputSchema();
  const run = src.useRunNode(id);
  const mark = src.useMark?.(id);
  const live = src.useLive?.() ?? true;
  // In a run, the card shows what its attempt ran with (an approval's rendered title), not `{{…}}`.
  const ran = run?.input;
  const shown = useMemo(
    () =>
      node && ran !== null && typeof ran === 'object' && !Array.isArray(ran) && node.type !== 'code'
        ? { ...node, config: { ...node.config, ...(ran as Record<string, unknown>) } }
        : node,
    [node, ran],
  );
  if (!node || !shown) return null;
  const status = run?.status ?? 'idle';
  const type = node.type;
  const streams = kindUi(type)?.streams ?? false;
  const stream = streams && run ? run.stream : '';
  const count = problems ? problems.split('\n').length : 0;
  // Counted as the run's header counts: live, `≈` while a stream is open.
  const tokens = run ? (run.liveTokens ?? run.tokens) : 0;
  const decide = live && type === 'approval' && status === 'waiting' ? src.decide : undefined;
  const diff = mark?.diff;
  return (
    <div
      className={`sp-node type-${type}${isBranching(type) ? ' is-branching' : ''} status-${status}${selected ? ' is-selected' : ''}${count ? ' is-invalid' : ''}${diff ? ` diff-${diff}` : ''}`}
      data-testid={`node-${id}`}
      data-status={status}
      data-invalid={count ? 'true' : undefined}
      data-diff={diff}
      title={problems || undefined}
    >
      <Handles type={type} connectable={!src.readOnly} labels />
      <div className="sp-node-head">
        <span className="sp-type-icon">
          <TypeIcon type={type} size={15} />
        </span>
        <div className="sp-titles">
          <div className="sp-label">{node.label || typeLabel(type)}</div>
          <div className="sp-id mono">{id}</div>
        </div>
        {status !== 'idle' && (
          <span
            className={`sp-status status-${status}`}
            title={status}
            role="img"
            aria-label={`status: ${status}`}
            data-testid={`node-state-${id}`}
          >
            <StateIcon state={status} size={13} />
          </span>
        )}
      </div>
      <div className="sp-node-body">
        <Summary node={shown} inputKeys={inputKeysOf(inputSchema)} />
      </div>
      {run && status !== 'idle' && (
        <div className="sp-run-meta">
          <span className="sp-run-state">{STATUS_TEXT[status] ?? status}</span>
          {run.attempt > 1 && <span>attempt {run.attempt}</span>}
          {tokens > 0 && <TokenCount tokens={tokens} estimating={run.estimating ?? false} />}
          {status === 'retrying' && run.error && <span className="sp-run-err">{run.error.kind}</span>}
        </div>
      )}
      {run?.progress && <Progress id={id} type={type} progress={run.progress} open={src.openChild} />}
      {streams && (stream || status === 'running') && (
        <div
          className={`sp-stream${status === 'running' ? ' is-live' : status === 'succeeded' ? ' is-done' : ''}`}
          data-testid={`node-stream-${id}`}
        >
          <span>{streamTail(stream) || '…'}</span>
        </div>
      )}
      {status === 'failed' && run?.error && (
        <div className="sp-error" title={run.error.message}>
          <b>{run.error.kind}</b> {errorMessageOf(run.error)}
        </div>
      )}
      {(mark?.note || diff === 'changed') && <div className="rd-note">{mark?.note ?? 'changed'}</div>}
      {decide && (
        <div className="sp-approval nodrag nopan">
          <DecisionButtons decide={(approved) => decide(id, approved)} testId={(kind) => `${kind}-${id}`} />
        </div>
      )}
      {count > 0 && (
        <div className="sp-problems" role="alert">
          {/* One line (the card keeps its size): the count and the first problem; all of them in the tooltip and the panel. */}
          <div className="sp-problem">
            {count > 1 && <b>{count} problems · </b>}
            {problems.split('\n')[0]}
          </div>
        </div>
      )}
    </div>
  );
}

/** A card's tokens, written as the run view writes them everywhere (spend.ts). */
function TokenCount({ tokens, estimating }: { tokens: number; estimating: boolean }): JSX.Element {
  const t = tokensText(tokens, estimating);
  return <span title={t.title}>{t.text} tok</span>;
}
