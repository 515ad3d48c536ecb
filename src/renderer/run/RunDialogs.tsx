/** Dialogs of a run view: decide an approval (comment, optional edited data), rerun from a node, raise a spent budget. */
import { useMemo, useState, type JSX } from 'react';
import { topology } from '../../core/graph/topology';
import { fmtBudget, fmtCost } from '../ui/format';
import { DialogActions, Modal } from '../ui/Modal';
import { useRunView, useSession, type Decision, type RunDialog } from './context';

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A dialog's action: busy while it runs; what it throws (a refusal, a field that does not parse) is its error. */
function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    try {
      await action();
    } catch (err) {
      setError(errText(err));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

function ApprovalDialog({
  nodeId,
  approved,
  onClose,
}: {
  nodeId: string;
  approved: boolean;
  onClose(): void;
}): JSX.Element {
  const { actions } = useRunView();
  const approval = useSession((s) => s.live?.nodes[nodeId]?.approval);
  // No "no" branch leaves the gate: a rejection fails it, and the run with it.
  const failsRun = useSession(
    (s) => !approved && s.graph !== null && !s.graph.edges.some((e) => e.source === nodeId && e.when === false),
  );
  const [comment, setComment] = useState('');
  const [data, setData] = useState('');
  const { error, busy, submit } = useSubmit(async () => {
    let parsed: unknown;
    if (data.trim()) {
      try {
        parsed = JSON.parse(data);
      } catch (err) {
        throw new Error(`Data is not JSON: ${errText(err)}`);
      }
    }
    const d: Decision = {
      approved,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
      ...(parsed !== undefined ? { data: parsed } : {}),
    };
    await actions.approve(nodeId, d);
    onClose();
  });
  return (
    <Modal title={approved ? 'Approve' : 'Reject'} onClose={onClose} testId="approval-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        // Ctrl+Enter (⌘+Enter) decides from the comment or the data: Enter alone is a new line there.
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void submit();
          }
        }}
      >
        <div className="approval-title">{approval?.title ?? nodeId}</div>
        {approval?.details !== undefined && (
          <pre className="approval-details mono" tabIndex={0}>
            {typeof approval.details === 'string' ? approval.details : JSON.stringify(approval.details, null, 2)}
          </pre>
        )}
        <label className="field">
          <span className="field-label">Comment</span>
          <textarea
            className="input textarea"
            rows={2}
            data-testid="approval-comment"
            value={comment}
            autoFocus
            onChange={(e) => setComment(e.target.value)}
          />
        </label>
        <label className="field">
          <span className="field-label">
            Data <span className="field-hint">optional JSON handed on with the decision</span>
          </span>
          <textarea
            className="input textarea mono"
            rows={3}
            data-testid="approval-data"
            placeholder='{"limit": 1000}'
            value={data}
            onChange={(e) => setData(e.target.value)}
          />
        </label>
        {failsRun && (
          <p className="rd-notice approval-fails" data-testid="approval-fails-run">
            No edge with <code>when: false</code> leaves this gate: rejecting fails it, and the run with it.
          </p>
        )}
        {error && <div className="field-message">{error}</div>}
        <DialogActions onCancel={onClose}>
          <button
            type="submit"
            className={`btn ${approved ? 'btn-primary' : 'btn-danger'}`}
            data-testid="approval-submit"
            title="Ctrl+Enter"
            disabled={busy}
          >
            {approved ? 'Approve' : failsRun ? 'Reject and fail the run' : 'Reject'}
          </button>
        </DialogActions>
      </form>
    </Modal>
  );
}

function RerunDialog({ nodeId, onClose }: { nodeId: string; onClose(): void }): JSX.Element {
  const { actions, openRun } = useRunView();
  const graph = useSession((s) => s.graph);
  const nodes = useSession((s) => s.live?.nodes);
  const downstream = useMemo(() => {
    if (!graph) return [];
    const t = topology(graph);
    const below = t.descendants(nodeId);
    return t.order.filter((id) => below.has(id));
  }, [graph, nodeId]);
  const [reuse, setReuse] = useState<Set<string>>(new Set());
  const { error, busy, submit } = useSubmit(async () => {
    openRun(await actions.rerun(nodeId, [...reuse]));
    onClose();
  });
  return (
    <Modal title={`Rerun from ${nodeId}`} onClose={onClose} testId="rerun-dialog">
      <p className="muted small">
        A new run of the same graph snapshot and input. Every node not downstream of {nodeId} keeps its recorded output;{' '}
        {nodeId} runs again. Choose which downstream nodes keep theirs too.
      </p>
      <div className="rerun-list">
        {downstream.length === 0 && <div className="muted small">Nothing is downstream of {nodeId}.</div>}
        {downstream.map((id) => {
          const ok = nodes?.[id]?.status === 'succeeded';
          return (
            <label key={id} className={`rerun-item${ok ? '' : ' is-disabled'}`}>
              <input
                type="checkbox"
                data-testid={`rerun-reuse-${id}`}
                disabled={!ok}
                checked={reuse.has(id)}
                onChange={(e) => {
                  const next = new Set(reuse);
                  if (e.target.checked) next.add(id);
                  else next.delete(id);
                  setReuse(next);
                }}
              />
              <span className="mono">{id}</span>
              <span className="muted small">
                {ok ? (reuse.has(id) ? 'reuse recorded output' : 'run again') : 'no output to reuse'}
              </span>
            </label>
          );
        })}
      </div>
      {error && <div className="field-message">{error}</div>}
      <DialogActions onCancel={onClose}>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="rerun-submit"
          disabled={busy}
          onClick={() => void submit()}
        >
          Rerun
        </button>
      </DialogActions>
    </Modal>
  );
}

/** A limit as typed: '' is no limit; else a number ≥ 0 (NaN when it is not one). */
const limitOf = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text.trim()));

/** A run paused by its budget: raise it and resume (the same as `statepipe resume --max-tokens/--max-cost`). */
function BudgetDialog({ onClose }: { onClose(): void }): JSX.Element {
  const { actions } = useRunView();
  const budget = useSession((s) => s.live?.budget);
  const tokens = useSession((s) => s.live?.tokens ?? 0);
  const cost = useSession((s) => s.live?.costUsd ?? 0);
  // Offered: twice the limit that was reached (a limit the graph did not set stays unset).
  const [maxTokens, setMaxTokens] = useState(budget?.maxTokens !== undefined ? String(budget.maxTokens * 2) : '');
  const [maxCost, setMaxCost] = useState(budget?.maxCostUsd !== undefined ? String(budget.maxCostUsd * 2) : '');
  const { error, busy, submit } = useSubmit(async () => {
    const t = limitOf(maxTokens);
    const c = limitOf(maxCost);
    if (t !== undefined && !(Number.isInteger(t) && t >= 0)) throw new Error('Max tokens: a whole number, 0 or more');
    if (c !== undefined && !(Number.isFinite(c) && c >= 0)) throw new Error('Max cost: a number of dollars, 0 or more');
    await actions.resumeWithBudget({
      ...(t !== undefined ? { maxTokens: t } : {}),
      ...(c !== undefined ? { maxCostUsd: c } : {}),
    });
    onClose();
  });
  return (
    <Modal title="Resume with a higher budget" onClose={onClose} testId="budget-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p className="muted small" data-testid="budget-spent">
          The run paused when it had spent {tokens} tokens and {fmtCost(cost)}, over its budget ({fmtBudget(budget)}).
          Leave a field empty for no limit.
        </p>
        <label className="field">
          <span className="field-label">Max tokens</span>
          <input
            className="input"
            inputMode="numeric"
            data-testid="budget-max-tokens"
            value={maxTokens}
            onChange={(e) => setMaxTokens(e.target.value)}
            autoFocus
          />
        </label>
        <label className="field">
          <span className="field-label">Max cost (USD)</span>
          <input
            className="input"
            inputMode="decimal"
            data-testid="budget-max-cost"
            value={maxCost}
            onChange={(e) => setMaxCost(e.target.value)}
          />
        </label>
        {error && (
          <div className="field-message" role="alert">
            {error}
          </div>
        )}
        <DialogActions onCancel={onClose}>
          <button type="submit" className="btn btn-primary" data-testid="budget-submit" disabled={busy}>
            Resume
          </button>
        </DialogActions>
      </form>
    </Modal>
  );
}

export function RunDialogs({ dialog, onClose }: { dialog: RunDialog | null; onClose(): void }): JSX.Element | null {
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'approval':
      return <ApprovalDialog nodeId={dialog.nodeId} approved={dialog.approved} onClose={onClose} />;
    case 'rerun':
      return <RerunDialog nodeId={dialog.nodeId} onClose={onClose} />;
    case 'budget':
      return <BudgetDialog onClose={onClose} />;
  }
}
