/** The side panel of a run when no node is inspected: status, timings, tokens, cost, input, result or error. */
import type { JSX } from 'react';
import { StateIcon } from '../ui/icons';
import { fmtCost, fmtMs, fmtTokens } from '../ui/format';
import { JsonTree } from '../ui/JsonTree';
import { useRun } from './run-store';

export function RunSummary(): JSX.Element | null {
  const view = useRun((s) => s.view);
  if (!view) return null;
  const duration = view.startedAt && view.finishedAt ? Date.parse(view.finishedAt) - Date.parse(view.startedAt) : null;
  const counts = new Map<string, number>();
  for (const n of Object.values(view.nodes)) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
  return (
    <aside className="side-panel" data-testid="run-summary" aria-label="Run">
      <div className="side-head">
        <div>
          <div className="side-title">Run</div>
          <div className="muted small mono">{view.runId}</div>
        </div>
        <span className={`run-status status-${view.status}`}>
          <StateIcon state={view.status} size={12} /> {view.status}
        </span>
      </div>
      <div className="insp-scroll">
        <div className="insp-stats">
          <span>{view.graphId}</span>
          {duration !== null && <span>{fmtMs(duration)}</span>}
          <span>{fmtTokens(view.tokens)} tokens</span>
          <span>{fmtCost(view.costUsd)}</span>
        </div>
        <div className="status-counts">
          {[...counts].map(([s, n]) => (
            <span key={s} className={`chip status-${s}`}>
              <StateIcon state={s} size={11} /> {n} {s}
            </span>
          ))}
        </div>
        {view.rerunOf && (
          <div className="muted small">
            rerun of <span className="mono">{view.rerunOf.runId}</span> from <b>{view.rerunOf.fromNodeId}</b>
          </div>
        )}
        {view.error && (
          <div className="insp-section-flat">
            <div className="insp-title">Error{view.failedNodeId ? ` (${view.failedNodeId})` : ''}</div>
            <JsonTree value={view.error} depth={1} />
          </div>
        )}
        <div className="insp-section-flat">
          <div className="insp-title">Input</div>
          <JsonTree value={view.input} />
        </div>
        {view.result !== undefined && (
          <div className="insp-section-flat">
            <div className="insp-title">Result</div>
            <JsonTree value={view.result} depth={3} testId="run-result" />
          </div>
        )}
        {view.problems.length > 0 && <div className="field-message">{view.problems.join('\n')}</div>}
        <div className="muted small">Click a node to inspect it.</div>
      </div>
    </aside>
  );
}
