/**
 * The run view's toolbar: back, which run of which graph (version or draft), its status and
 * live tokens and cost, pause / resume / cancel, rerun, the graph into the editor (a draft run
 * can be saved as a graph), exports, and the side panel's toggle.
 */
import type { JSX } from 'react';
import { canControl, type RunControl } from '../../core/engine/machines';
import { hostClient } from '../api/client';
import { openRunGraph, saveGraph } from '../doc/commands';
import { entryNode } from '../doc/defaults';
import { downloadText } from '../ui/download';
import { fmtBudget, shortId } from '../ui/format';
import { Icon, StateIcon } from '../ui/icons';
import { ToolButton } from '../ui/ToolButton';
import { uiStore, useUi } from '../ui/ui-store';
import { useRunView, useSession } from './context';
import { spendText } from '../ui/spend';

async function exportRun(runId: string, what: 'jsonl' | 'graph'): Promise<void> {
  const c = hostClient();
  try {
    if (what === 'jsonl')
      downloadText(`${runId}.jsonl`, (await c.call('runs.export', { runId })).jsonl, 'application/x-ndjson');
    else downloadText(`${runId}.graph.json`, (await c.call('graphs.get', { graphIdOrRunId: runId })).json);
  } catch (err) {
    uiStore.getState().notify('error', `Export failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function Meta(): JSX.Element {
  const tokens = useSession((s) => s.live?.liveTokens ?? 0);
  const cost = useSession((s) => s.live?.liveCostUsd ?? 0);
  const estimating = useSession((s) => s.live?.estimating ?? false);
  const shown = spendText({ liveTokens: tokens, liveCostUsd: cost, estimating });
  return (
    <span className="run-meta small" data-testid="run-meta" data-tokens={tokens} title={shown.title}>
      {shown.tokens} tok · {shown.cost}
    </span>
  );
}

/** The run's controls; which apply is the engine's rule (machines.ts canControl). */
const CONTROLS = [
  { action: 'pause', icon: 'pause', label: 'Pause', title: 'Pause: no new node starts; running nodes finish' },
  { action: 'resume', icon: 'resume', label: 'Resume', title: 'Resume' },
  { action: 'cancel', icon: 'stop', label: 'Cancel the run', title: 'Cancel: running nodes are aborted' },
] as const satisfies readonly { action: RunControl; icon: string; label: string; title: string }[];

function Controls(): JSX.Element {
  const { actions, openDialog } = useRunView();
  const status = useSession((s) => s.live?.status);
  const byBudget = useSession((s) => s.live?.pauseReason === 'budget');
  const budget = useSession((s) => s.live?.budget);
  const runId = useSession((s) => s.runId);
  const error = useSession((s) => s.error);
  const failure = useSession((s) => s.live?.error?.message);
  return (
    <div className="run-controls" role="group" aria-label="Run controls">
      <span
        className={`run-status status-${status ?? 'idle'}`}
        data-testid="run-status"
        data-status={status ?? 'idle'}
        data-run-id={runId}
        data-reason={byBudget ? 'budget' : undefined}
        title={
          error ??
          failure ??
          (byBudget ? `Paused: the run spent its budget (${fmtBudget(budget)}). Resume raises it.` : runId)
        }
      >
        <StateIcon state={status ?? 'idle'} size={12} />
        {status ?? 'loading'}
        {byBudget && ' · budget spent'}
      </span>
      <Meta />
      {CONTROLS.map((c) => (
        <button
          key={c.action}
          type="button"
          className="btn btn-icon"
          data-testid={c.action}
          aria-label={c.label}
          disabled={status === undefined || !canControl(status, c.action)}
          onClick={() =>
            c.action === 'resume' && byBudget ? openDialog({ kind: 'budget' }) : void actions.control(c.action)
          }
          title={c.action === 'resume' && byBudget ? 'Resume with a higher budget' : c.title}
        >
          <Icon name={c.icon} size={15} />
        </button>
      ))}
      {error && (
        <span className="run-error" role="alert" title={error}>
          {error}
        </span>
      )}
    </div>
  );
}

export function RunToolbar({ back }: { back: { label: string; onClick(): void } }): JSX.Element {
  const { openDialog } = useRunView();
  const runId = useSession((s) => s.runId);
  const graph = useSession((s) => s.graph);
  const version = useSession((s) => s.graphVersion);
  const saved = useSession((s) => s.saved);
  const child = useSession((s) => s.live?.parent !== undefined);
  const finished = useSession((s) => s.live !== null && canControl(s.live.status, 'rerun'));
  const sideOpen = useUi((s) => s.panels.side);
  const entry = graph ? entryNode(graph) : undefined;
  const versionLabel = saved ? `v${version ?? '?'}` : child ? 'child run' : 'unsaved draft';
  return (
    <div className="toolbar toolbar-run" role="toolbar" aria-label="Run" data-testid="run-toolbar">
      <button type="button" className="btn btn-tool" data-testid="run-back" onClick={back.onClick}>
        <Icon name="back" size={15} />
        <span className="btn-label">{back.label}</span>
      </button>
      {/* Cut with an ellipsis when the toolbar is narrow: the whole of it on hover. */}
      <h1 className="run-title" title={`Run ${runId}${graph ? ` of ${graph.name ?? graph.id} (${versionLabel})` : ''}`}>
        Run{' '}
        <span className="mono" title={runId}>
          {shortId(runId)}
        </span>
        {graph && (
          <>
            {' '}
            of <b>{graph.name ?? graph.id}</b>{' '}
            <span className="chip" data-testid="run-graph-version">
              {versionLabel}
            </span>
          </>
        )}
      </h1>
      <Controls />
      <span className="spacer" />
      <ToolButton
        icon="retry"
        label="Rerun"
        testId="run-rerun"
        disabled={!finished || !entry}
        onClick={() => entry && openDialog({ kind: 'rerun', nodeId: entry })}
        title="A new run of the same graph and input"
      />
      <ToolButton
        icon="folder"
        label="Open in editor"
        testId="run-open-graph"
        onClick={() => void openRunGraph(runId)}
        title="Open the graph as it ran in the editor"
      />
      {!saved && (
        <ToolButton
          icon="save"
          label="Save as graph"
          testId="run-save-graph"
          onClick={() => void openRunGraph(runId).then((ok) => ok && saveGraph())}
          title="This run ran unsaved edits: save them as a graph"
        />
      )}
      <ToolButton
        icon="download"
        label="Export log"
        testId="export-run-jsonl"
        onClick={() => void exportRun(runId, 'jsonl')}
        title="Export the run's history (JSONL)"
      />
      <ToolButton
        icon="file"
        label="Export graph"
        testId="export-run-graph"
        onClick={() => void exportRun(runId, 'graph')}
        title="Export the graph file as it ran"
      />
      <button
        type="button"
        className="btn btn-icon btn-ghost"
        data-testid="toggle-side-panel"
        aria-pressed={sideOpen}
        aria-label={sideOpen ? 'Hide the side panel' : 'Show the side panel'}
        title={sideOpen ? 'Hide the side panel' : 'Show the side panel'}
        onClick={() => uiStore.getState().togglePanel('side')}
      >
        <Icon name="panel" size={15} />
      </button>
    </div>
  );
}
