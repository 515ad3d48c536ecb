/**
 * The inspector of one node of the run on the canvas: state, streamed text (live), input,
 * output, error (kind, message, stack), attempts with timings, tokens and cost, logs, the
 * approval; and what a person can do: retry a failed or in-doubt node, resolve an in-doubt one
 * with an output, rerun the run from this node.
 */
import { memo, useEffect, useRef, useState, type JSX, type ReactNode } from 'react';
import type { GraphNode } from '../../core/graph/schema';
import { hostClient } from '../api/client';
import { Icon, StateIcon, TypeIcon } from '../ui/icons';
import { fmtClock, fmtCost, fmtMs } from '../ui/format';
import { JsonTree } from '../ui/JsonTree';
import { uiStore } from '../ui/ui-store';
import { runStore, useNodeView, useRun } from './run-store';
import type { NodeSnapshot } from './fold';

function Section({
  title,
  children,
  open = true,
  testId,
  extra,
}: {
  title: string;
  children: ReactNode;
  open?: boolean;
  testId?: string;
  extra?: ReactNode;
}): JSX.Element {
  return (
    <details className="insp-section" open={open} data-testid={testId}>
      <summary>
        <span className="insp-title">{title}</span>
        {extra}
      </summary>
      <div className="insp-body">{children}</div>
    </details>
  );
}

const Attempts = memo(function Attempts({ attempts }: { attempts: NodeSnapshot['attempts'] }): JSX.Element {
  return (
    <table className="insp-table" data-testid="inspector-attempts">
      <thead>
        <tr>
          <th>#</th>
          <th>status</th>
          <th>started</th>
          <th className="num">duration</th>
          <th className="num">tokens</th>
          <th className="num">cost</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a, i) => (
          <tr key={i} title={a.error ? `${a.error.kind}: ${a.error.message}` : (a.model ?? '')}>
            <td>{a.attempt}</td>
            <td>
              <span className={`chip status-${a.status}`}>
                <StateIcon state={a.status === 'interrupted' ? 'in-doubt' : a.status} size={11} /> {a.status}
              </span>
              {a.error && <span className="muted small"> {a.error.kind}</span>}
            </td>
            <td className="mono small">{fmtClock(a.startedAt)}</td>
            <td className="num">{a.finishedAt !== undefined ? fmtMs(a.finishedAt - a.startedAt) : '…'}</td>
            <td className="num">{a.usage ? `${a.usage.inputTokens}+${a.usage.outputTokens}` : '—'}</td>
            <td className="num">{a.costUsd !== undefined ? fmtCost(a.costUsd) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

function LiveStream({ text, live }: { text: string; live: boolean }): JSX.Element {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && live) el.scrollTop = el.scrollHeight;
  }, [text, live]);
  return (
    <pre ref={ref} className={`insp-stream${live ? ' is-live' : ''}`} data-testid="inspector-stream">
      {text || (live ? '…' : '')}
    </pre>
  );
}

function Resolve({ nodeId }: { nodeId: string }): JSX.Element {
  const [text, setText] = useState('{}');
  const [error, setError] = useState<string | null>(null);
  const submit = () => {
    let output: unknown;
    try {
      output = JSON.parse(text);
    } catch (err) {
      setError(`Not JSON: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    setError(null);
    runStore
      .getState()
      .resolve(hostClient(), nodeId, output)
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  return (
    <div className="insp-resolve">
      <div className="muted small">
        This node may or may not have done its work before the process stopped. Mark it done with the output it
        produced, or retry it.
      </div>
      <textarea
        className="input textarea mono"
        rows={4}
        data-testid="inspector-resolve-output"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      {error && <div className="field-message">{error}</div>}
      <button type="button" className="btn btn-primary btn-sm" data-testid="inspector-resolve" onClick={submit}>
        <Icon name="check" size={12} /> Mark done with this output
      </button>
    </div>
  );
}

function Actions({ nodeId, run }: { nodeId: string; run: NodeSnapshot }): JSX.Element | null {
  const runStatus = useRun((s) => s.view?.status);
  const canRetry = run.status === 'failed' || run.status === 'in-doubt';
  const canRerun = runStatus === 'succeeded' || runStatus === 'failed' || runStatus === 'cancelled';
  const retry = () =>
    void runStore
      .getState()
      .retry(hostClient(), nodeId)
      .catch(() => undefined);
  if (!canRetry && !canRerun) return null;
  return (
    <div className="insp-actions">
      {canRetry && (
        <button
          type="button"
          className="btn btn-primary btn-sm"
          data-testid="inspector-retry"
          onClick={retry}
          title="Run this node again; upstream outputs are kept"
        >
          <Icon name="retry" size={12} /> Retry
        </button>
      )}
      {canRerun && (
        <button
          type="button"
          className="btn btn-sm"
          data-testid="inspector-rerun"
          onClick={() => uiStore.getState().open({ kind: 'rerun', nodeId })}
          title="A new run from this node, reusing what is upstream"
        >
          <Icon name="play" size={11} /> Rerun from here
        </button>
      )}
    </div>
  );
}

export function Inspector({
  nodeId,
  node,
  onClose,
}: {
  nodeId: string;
  node: GraphNode | undefined;
  onClose?: () => void;
}): JSX.Element {
  const run = useNodeView(nodeId);
  const error = useRun((s) => s.error);
  const type = node?.type ?? 'node';
  const status = run?.status ?? 'idle';
  return (
    <aside
      className="side-panel inspector"
      data-testid="inspector"
      data-node={nodeId}
      aria-label={`Inspector: ${nodeId}`}
    >
      <div className="insp-head">
        <span className="sp-type-icon">
          <TypeIcon type={type} size={15} />
        </span>
        <div className="sp-titles">
          <div className="sp-label">{node?.label || nodeId}</div>
          <div className="sp-id mono">
            {nodeId} · {type}
          </div>
        </div>
        <span className={`run-status status-${status}`} data-testid="inspector-status" data-status={status}>
          <StateIcon state={status} size={12} /> {status}
        </span>
        {onClose && (
          <button type="button" className="btn btn-icon btn-ghost" aria-label="Close inspector" onClick={onClose}>
            <Icon name="close" size={13} />
          </button>
        )}
      </div>
      {!run ? (
        <div className="muted insp-empty">This node has no state in the run shown.</div>
      ) : (
        <div className="insp-scroll">
          <div className="insp-stats">
            <span>attempt {run.attempt}</span>
            <span>{run.tokens} tokens</span>
            <span>{fmtCost(run.costUsd)}</span>
            {run.skipReason && <span>skipped: {run.skipReason}</span>}
          </div>
          {error && (
            <div className="field-message" role="alert">
              {error}
            </div>
          )}
          <Actions nodeId={nodeId} run={run} />
          {run.status === 'in-doubt' && <Resolve nodeId={nodeId} />}
          {run.error && (
            <Section title="Error" extra={<span className="insp-error-kind">{run.error.kind}</span>}>
              <div className="insp-error-msg">{run.error.message}</div>
              <JsonTree value={run.error} depth={1} testId="inspector-error" />
            </Section>
          )}
          {(type === 'llm' || type === 'agent') && (run.stream || run.status === 'running') && (
            <Section title="Streamed text">
              <LiveStream text={run.stream} live={run.status === 'running'} />
            </Section>
          )}
          {run.approval && (
            <Section title="Approval">
              <JsonTree value={run.approval} depth={2} testId="inspector-approval" />
            </Section>
          )}
          <Section title="Input">
            {run.input !== undefined ? (
              <JsonTree value={run.input} testId="inspector-input" />
            ) : (
              <div className="muted small" data-testid="inspector-input">
                not started
              </div>
            )}
          </Section>
          <Section title="Output">
            {run.output !== undefined ? (
              <JsonTree value={run.output} testId="inspector-output" />
            ) : (
              <div className="muted small" data-testid="inspector-output">
                none yet
              </div>
            )}
          </Section>
          {run.attempts.length > 0 && (
            <Section title={`Attempts (${run.attempts.length})`}>
              <Attempts attempts={run.attempts} />
            </Section>
          )}
          <Section title={`Logs (${run.logs.length})`} open={run.logs.length > 0 && run.logs.length < 50}>
            {run.logs.length === 0 ? (
              <div className="muted small">no logs</div>
            ) : (
              <div className="insp-logs mono" data-testid="inspector-logs">
                {run.logs.map((l, i) => (
                  <div key={i} className={`log log-${l.level}`}>
                    <span className="muted">{l.ts.slice(11, 23)}</span> <b>{l.level}</b> {l.message}
                  </div>
                ))}
              </div>
            )}
          </Section>
          {run.compensation && (
            <Section title="Compensation">
              <JsonTree value={run.compensation} />
            </Section>
          )}
        </div>
      )}
    </aside>
  );
}
