/** Run the document (through the input form when its schema has fields), and back to its last run. */
import { useState, type JSX } from 'react';
import { ApiCallError, hostClient } from '../api/client';
import { docStore, useDoc } from '../doc/store';
import { inputFields } from '../run/InputForm';
import { rememberRunGraph } from '../run/started';
import { Icon } from '../ui/icons';
import { uiStore, useUi } from '../ui/ui-store';

/** Starts a run of the document (a draft: no saved version is added) and shows it. Rejects for the form to show. */
export async function startRun(input: unknown): Promise<void> {
  const graph = docStore.getState().graph;
  const { runId } = await hostClient().call('runs.start', {
    graph,
    input,
  });
  rememberRunGraph(runId, graph); // its run view shows at once, without fetching it back
  const ui = uiStore.getState();
  ui.setLastRun(runId);
  ui.open(null);
  ui.showPane({ kind: 'run', runId });
}

/** Why the host refused a run: every problem listed (its message names only the first), as Save does. */
export function notStarted(err: unknown): void {
  const issues = err instanceof ApiCallError ? (err.issues ?? []).map((i) => `${i.path}: ${i.message}`) : [];
  if (issues.length > 1)
    uiStore.getState().notify('error', `Not started: the graph has ${issues.length} problems`, issues);
  else uiStore.getState().notify('error', `Not started: ${err instanceof Error ? err.message : String(err)}`);
}

export function RunButton(): JSX.Element {
  const invalid = useDoc((s) => s.issues.all.length > 0 || s.graph.nodes.length === 0);
  const lastRun = useUi((s) => s.lastRun);
  const [busy, setBusy] = useState(false);
  const run = () => {
    if (inputFields(docStore.getState().graph.input).length > 0) return uiStore.getState().open({ kind: 'run-input' });
    setBusy(true);
    startRun({})
      .catch((err: unknown) => notStarted(err))
      .finally(() => setBusy(false));
  };
  return (
    <div className="run-controls">
      {lastRun && (
        <button
          type="button"
          className="btn btn-tool"
          data-testid="last-run"
          onClick={() => uiStore.getState().showPane({ kind: 'run', runId: lastRun })}
          title={`Show the last run (${lastRun})`}
        >
          <Icon name="history" size={15} />
          <span className="btn-label">Last run</span>
        </button>
      )}
      <button
        type="button"
        className="btn btn-primary"
        data-testid="run"
        disabled={busy || invalid}
        onClick={run}
        title={invalid ? 'Fix the problems first' : 'Run the graph (unsaved edits run as a draft)'}
      >
        <Icon name="play" size={13} /> Run
      </button>
    </div>
  );
}
