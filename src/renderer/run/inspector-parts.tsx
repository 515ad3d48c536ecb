/** Pieces of the inspector: a collapsible section, the attempts table, the live stream, an error, a decision. */
import { memo, useEffect, useRef, useState, type JSX, type ReactNode } from 'react';
import { errorMessageOf, type NodeError } from '../../core/errors';
import { fmtClock, fmtCost, fmtMs } from '../ui/format';
import { Icon, StateIcon } from '../ui/icons';
import { JsonTree } from '../ui/JsonTree';
import type { NodeSnapshot } from './fold';

export function Section({
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

/** `nodeStatus`: the node's own; its last attempt still open while the node waits (a gate) reads `waiting`. */
export const Attempts = memo(function Attempts({
  attempts,
  nodeStatus,
}: {
  attempts: NodeSnapshot['attempts'];
  nodeStatus?: string;
}): JSX.Element {
  const shown = (status: string, i: number) =>
    status === 'running' && nodeStatus === 'waiting' && i === attempts.length - 1 ? 'waiting' : status;
  return (
    <table className="insp-table" data-testid="inspector-attempts">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">status</th>
          <th scope="col">started</th>
          <th scope="col" className="num">
            duration
          </th>
          <th scope="col" className="num">
            tokens
          </th>
          <th scope="col" className="num">
            cost
          </th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a, i) => (
          <tr key={i} title={a.error ? `${a.error.kind}: ${errorMessageOf(a.error)}` : (a.model ?? '')}>
            <td>{a.attempt}</td>
            <td>
              <span className={`chip status-${attemptState(shown(a.status, i))}`}>
                <StateIcon state={attemptState(shown(a.status, i))} size={11} /> {shown(a.status, i)}
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

/** The state an attempt is drawn in: one cut off reads as in doubt, one suspended as waiting. */
export function attemptState(status: string): string {
  return status === 'interrupted' ? 'in-doubt' : status === 'suspended' ? 'waiting' : status;
}

export function LiveStream({ text, live }: { text: string; live: boolean }): JSX.Element {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && live) el.scrollTop = el.scrollHeight;
  }, [text, live]);
  return (
    <pre ref={ref} className={`insp-stream${live ? ' is-live' : ''}`} data-testid="inspector-stream" tabIndex={0}>
      {text || (live ? '…' : '')}
    </pre>
  );
}

/** An error: its kind once, its message, where in the user's code (a code node), the stack folded. */
export function ErrorView({ error }: { error: NodeError }): JSX.Element {
  const { stack: ownStack, details, kind: _k, message: _m, retryable, ...rest } = error;
  const where = details as { line?: unknown; trace?: unknown } | undefined;
  const line = where?.line;
  // A code node's throw: the frames of the user's code (details.trace); an older event's stack.
  const stack = typeof where?.trace === 'string' ? where.trace : ownStack;
  return (
    <div className="insp-error" data-testid="inspector-error" data-kind={error.kind}>
      <div className="insp-error-msg">
        <span className="insp-error-kind">{error.kind}</span> {errorMessageOf(error)}
        {typeof line === 'number' && <span className="insp-error-line"> (line {line} of the code)</span>}
      </div>
      <div className="muted small">{retryable ? 'a retry may help' : 'a retry will not help by itself'}</div>
      {details !== undefined && typeof line !== 'number' && <JsonTree value={details} depth={2} />}
      {Object.keys(rest).length > 0 && <JsonTree value={rest} depth={1} />}
      {stack && (
        <details className="trace-stack">
          <summary className="small muted">stack</summary>
          <pre className="json-block" data-testid="inspector-stack">
            {stack}
          </pre>
        </details>
      )}
    </div>
  );
}

/** How an approval was decided: "Rejected by ana: too risky" (or approved). */
export function decisionText(d: { approved: boolean; by?: string; comment?: string }): string {
  return `${d.approved ? 'Approved' : 'Rejected'}${d.by ? ` by ${d.by}` : ''}${d.comment ? `: ${d.comment}` : ''}`;
}

export function Resolve({ onResolve }: { onResolve(output: unknown): Promise<unknown> }): JSX.Element {
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
    onResolve(output).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  return (
    <div className="insp-resolve">
      <div className="muted small" id="resolve-help">
        This node may or may not have done its work before the process stopped. Mark it done with the output it
        produced, or retry it.
      </div>
      <textarea
        className="input textarea mono"
        rows={4}
        aria-label="Output of the in-doubt node"
        aria-describedby="resolve-help"
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
