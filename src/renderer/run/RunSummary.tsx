/** The run view's Node tab when no node is selected: status, timings, tokens, cost, input, result or error. */
import type { JSX } from 'react';
import { fmtMs } from '../ui/format';
import { StateIcon } from '../ui/icons';
import { JsonTree } from '../ui/JsonTree';
import type { RunSnapshot } from './fold';
import { spendText } from '../ui/spend';

export function RunSummary({ run }: { run: RunSnapshot }): JSX.Element {
  const duration = run.startedAt && run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null;
  const spend = spendText(run);
  const counts = new Map<string, number>();
  for (const n of Object.values(run.nodes)) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
  return (
    <section className="run-summary" data-testid="run-summary" aria-label="Run summary">
      <div className="insp-stats">
        <span>{run.graphId}</span>
        {duration !== null && <span>{fmtMs(duration)}</span>}
        {/* The header's count (live: a stream still open is estimated, marked ≈). */}
        <span data-testid="run-summary-tokens" data-tokens={run.liveTokens} title={spend.title}>
          {spend.tokens} tokens
        </span>
        <span>{spend.cost}</span>
      </div>
      <div className="status-counts">
        {[...counts].map(([s, n]) => (
          <span key={s} className={`chip status-${s}`}>
            <StateIcon state={s} size={11} /> {n} {s}
          </span>
        ))}
      </div>
      {run.rerunOf && (
        <div className="muted small">
          rerun of <span className="mono">{run.rerunOf.runId}</span> from <b>{run.rerunOf.fromNodeId}</b>
        </div>
      )}
      {run.error && (
        <div className="insp-section-flat">
          <h2 className="insp-title">Error{run.failedNodeId ? ` (${run.failedNodeId})` : ''}</h2>
          <JsonTree value={run.error} depth={1} />
        </div>
      )}
      <div className="insp-section-flat">
        <h2 className="insp-title">Input</h2>
        <JsonTree value={run.input} />
      </div>
      {run.result !== undefined && (
        <div className="insp-section-flat">
          <h2 className="insp-title">Result</h2>
          <JsonTree value={run.result} depth={3} testId="run-result" />
        </div>
      )}
      <div className="muted small">Click a node to inspect it.</div>
    </section>
  );
}
