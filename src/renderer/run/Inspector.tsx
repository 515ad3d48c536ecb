/**
 * The inspector of one node: state, streamed text (live), what it received and gave, its error
 * (kind once, message, where in the code, stack), attempts with timings, tokens and cost, logs,
 * the approval and its decision; and what a person can do here: approve or reject a waiting
 * approval, retry a failed or in-doubt node, resolve an in-doubt one, rerun from this node.
 * The same component shows a node of a run and the result of testing one node in the editor.
 */
import { useState, type JSX, type ReactNode } from 'react';
import type { GraphNode } from '../../core/graph/schema';
import { kindUi } from '../doc/node-kinds';
import { DecisionButtons } from '../ui/DecisionButtons';
import { Icon, StateIcon, TypeIcon } from '../ui/icons';
import { JsonTree } from '../ui/JsonTree';
import type { NodeSnapshot } from './fold';
import { ChildList } from './ChildList';
import { spendText, type LiveSpend } from '../ui/spend';
import { Attempts, decisionText, ErrorView, LiveStream, Resolve, Section } from './inspector-parts';

/** What a person can do to the node now (absent: nothing, e.g. while time travelling). */
export interface NodeActions {
  decide?(approved: boolean): void;
  retry?(): void;
  resolve?(output: unknown): Promise<unknown>;
  rerun?(): void;
}

export interface InspectorProps {
  nodeId: string;
  node: GraphNode | undefined;
  snap: NodeSnapshot | undefined;
  /** What a code node received (`{ input, nodes }`), shown as its input instead of its source. */
  received?: unknown;
  actions?: NodeActions;
  /** A line above the sections (time travel, a test's pins). */
  note?: ReactNode;
  error?: string | null;
  onClose?(): void;
  emptyText?: string;
  /** Opens a child run of a composition node (a row of its items). */
  onOpenChild?(runId: string): void;
}

/** `hopeless`: its error says a retry will not help by itself (Retry is then not the button put forward). */
function Actions({
  nodeId,
  a,
  inDoubt,
  hopeless,
}: {
  nodeId: string;
  a: NodeActions;
  inDoubt: boolean;
  hopeless: boolean;
}): JSX.Element | null {
  // A node in doubt may have had its effect already: retrying sends it again, so it is confirmed.
  const [confirming, setConfirming] = useState(false);
  if (!a.decide && !a.retry && !a.rerun) return null;
  if (confirming && inDoubt && a.retry) {
    const retry = a.retry;
    return (
      <div
        className="insp-actions insp-confirm"
        role="alertdialog"
        aria-labelledby="retry-confirm-text"
        data-testid="retry-confirm"
      >
        <p id="retry-confirm-text" className="field-message">
          Its request may already have taken effect before the crash. Retrying sends it again (a new attempt, with a new
          idempotency key). If it did take effect, mark it done with its output instead.
        </p>
        <button
          type="button"
          className="btn btn-primary btn-sm"
          data-testid="retry-confirm-send"
          onClick={() => {
            setConfirming(false);
            retry();
          }}
        >
          <Icon name="retry" size={12} /> Send it again
        </button>
        <button
          type="button"
          className="btn btn-sm"
          data-testid="retry-confirm-cancel"
          onClick={() => setConfirming(false)}
          autoFocus
        >
          Keep waiting
        </button>
      </div>
    );
  }
  return (
    <div className="insp-actions">
      {a.decide && <DecisionButtons decide={a.decide} testId={(kind) => `inspector-${kind}`} primary />}
      {a.retry && (
        <button
          type="button"
          className={`btn btn-sm${hopeless ? '' : ' btn-primary'}`}
          data-testid="inspector-retry"
          onClick={inDoubt ? () => setConfirming(true) : a.retry}
          title={inDoubt ? 'Send its request again (asks first)' : 'Run this node again; upstream outputs are kept'}
        >
          <Icon name="retry" size={12} /> Retry
        </button>
      )}
      {a.rerun && (
        <button
          type="button"
          className="btn btn-sm"
          data-testid="inspector-rerun"
          onClick={a.rerun}
          title={`A new run from ${nodeId}, reusing what is upstream`}
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
  snap,
  received,
  actions,
  note,
  error,
  onClose,
  onOpenChild,
  emptyText = 'This node has no state in the run shown.',
}: InspectorProps): JSX.Element {
  const type = node?.type ?? 'node';
  const status = snap?.status ?? 'idle';
  const decision = snap?.approval?.decision;
  return (
    <section className="inspector" data-testid="inspector" data-node={nodeId} aria-label={`Inspector: ${nodeId}`}>
      <div className="insp-head">
        <span className="sp-type-icon">
          <TypeIcon type={type} size={15} />
        </span>
        <div className="sp-titles">
          <h2 className="sp-label">{node?.label || nodeId}</h2>
          <div className="sp-id mono">
            {nodeId} · {type}
          </div>
        </div>
        <span className={`run-status status-${status}`} data-testid="inspector-status" data-status={status}>
          <StateIcon state={status} size={12} /> {status}
        </span>
        {onClose && (
          <button type="button" className="btn btn-icon btn-ghost" aria-label="Close the inspector" onClick={onClose}>
            <Icon name="close" size={13} />
          </button>
        )}
      </div>
      {note && <div className="insp-note">{note}</div>}
      {!snap ? (
        <div className="muted insp-empty">{emptyText}</div>
      ) : (
        <div className="insp-scroll">
          <div className="insp-stats">
            <span>attempt {snap.attempt}</span>
            <SpendStats spend={snap} />
            {snap.skipReason && <span>skipped: {snap.skipReason}</span>}
          </div>
          {error && (
            <div className="field-message" role="alert">
              {error}
            </div>
          )}
          {actions && (
            <Actions
              key={nodeId}
              nodeId={nodeId}
              a={actions}
              inDoubt={status === 'in-doubt'}
              hopeless={snap.error?.retryable === false && status !== 'in-doubt'}
            />
          )}
          {actions?.resolve && status === 'in-doubt' && <Resolve onResolve={actions.resolve} />}
          {decision && (
            <div
              className={`insp-decision ${decision.approved ? 'is-approved' : 'is-rejected'}`}
              data-testid="inspector-decision"
            >
              <Icon name={decision.approved ? 'check' : 'close'} size={13} /> {decisionText(decision)}
            </div>
          )}
          {snap.error && !(decision && !decision.approved) && (
            <Section title="Error">
              <ErrorView error={snap.error} />
            </Section>
          )}
          {kindUi(type)?.streams && (snap.stream || status === 'running') && (
            <Section title="Streamed text">
              <LiveStream text={snap.stream} live={status === 'running'} />
            </Section>
          )}
          {snap.approval && (
            <Section title="Approval">
              <JsonTree value={snap.approval} depth={2} testId="inspector-approval" />
            </Section>
          )}
          {snap.children && onOpenChild && (
            <Section
              title={`${type === 'map' ? 'Items' : type === 'loop' ? 'Iterations' : 'Child run'} (${snap.children.length})`}
              testId="inspector-children"
            >
              <ChildList type={type} items={snap.children} total={snap.progress?.total} onOpen={onOpenChild} />
            </Section>
          )}
          <Section title={received !== undefined ? 'Input (what the code received)' : 'Input'}>
            {received !== undefined ? (
              <JsonTree value={received} depth={3} testId="inspector-input" />
            ) : snap.input !== undefined ? (
              <JsonTree value={snap.input} testId="inspector-input" />
            ) : (
              <div className="muted small" data-testid="inspector-input">
                not started
              </div>
            )}
          </Section>
          <Section title="Output">
            {snap.output !== undefined ? (
              <JsonTree value={snap.output} testId="inspector-output" />
            ) : (
              <div className="muted small" data-testid="inspector-output">
                none yet
              </div>
            )}
          </Section>
          {snap.attempts.length > 0 && (
            <Section title={`Attempts (${snap.attempts.length})`}>
              <Attempts attempts={snap.attempts} nodeStatus={snap.status} />
            </Section>
          )}
          <Section title={`Logs (${snap.logs.length})`} open={snap.logs.length > 0 && snap.logs.length < 50}>
            {snap.logs.length === 0 ? (
              <div className="muted small">no logs</div>
            ) : (
              <div className="insp-logs mono" data-testid="inspector-logs">
                {snap.logs.map((l, i) => (
                  <div key={i} className={`log log-${l.level}`}>
                    <span className="muted">{l.ts.slice(11, 23)}</span> <b>{l.level}</b> {l.message}
                  </div>
                ))}
              </div>
            )}
          </Section>
          {snap.compensation && (
            <Section title="Compensation">
              <JsonTree value={snap.compensation} />
            </Section>
          )}
        </div>
      )}
    </section>
  );
}

/** A node's tokens and cost, counted as the header and the run summary count the run's. */
function SpendStats({ spend }: { spend: LiveSpend }): JSX.Element {
  const shown = spendText(spend);
  return (
    <>
      <span data-testid="inspector-tokens" data-tokens={spend.liveTokens} title={shown.title}>
        {shown.tokens} tokens
      </span>
      <span>{shown.cost}</span>
    </>
  );
}
