/** Toolbar run controls: run (with the input form), pause, resume, cancel, and the run status. */
import type { JSX } from 'react';
import { hostClient } from '../api/client';
import { docStore, useDoc } from '../doc/store';
import { fmtCost, fmtTokens } from '../ui/format';
import { Icon, StateIcon } from '../ui/icons';
import { uiStore } from '../ui/ui-store';
import { inputFields } from './InputForm';
import { runStore, useRun } from './run-store';
import { canCancel, canPause, canResume } from './fold';

/** Starts a run of the document; rejects (for the input form to show) when the host refuses it. */
export async function startRun(input: unknown): Promise<void> {
  await runStore.getState().start(hostClient(), docStore.getState().graph, input);
  uiStore.getState().open(null);
}

/** Run: straight away when the graph takes no input fields, else through the input form. */
export function requestRun(): void {
  const graph = docStore.getState().graph;
  if (inputFields(graph.input).length === 0) void startRun({}).catch(() => undefined);
  else uiStore.getState().open({ kind: 'run-input' });
}

export function RunControls(): JSX.Element {
  const status = useRun((s) => s.view?.status);
  const runId = useRun((s) => s.view?.runId);
  const tokens = useRun((s) => s.view?.tokens ?? 0);
  const cost = useRun((s) => s.view?.costUsd ?? 0);
  const failure = useRun((s) => s.view?.error?.message);
  const mode = useRun((s) => s.mode);
  const busy = useRun((s) => s.busy);
  const error = useRun((s) => s.error);
  const invalid = useDoc((s) => s.issues.all.length > 0 || s.graph.nodes.length === 0);
  const live = status !== undefined && canCancel(status);
  const control = (a: 'pause' | 'resume' | 'cancel') => void runStore.getState().control(hostClient(), a);
  return (
    <div className="run-controls">
      <button
        type="button"
        className="btn btn-primary"
        data-testid="run"
        disabled={busy || invalid || mode === 'run' || (live && status !== 'interrupted')}
        onClick={requestRun}
        title={
          mode === 'run'
            ? 'Back to the editor to run the document'
            : invalid
              ? 'Fix the problems first'
              : 'Run the graph'
        }
      >
        <Icon name="play" size={13} /> Run
      </button>
      <button
        type="button"
        className="btn btn-icon"
        data-testid="pause"
        disabled={!canPause(status)}
        onClick={() => control('pause')}
        title="Pause: no new node starts; running nodes finish"
      >
        <Icon name="pause" size={15} />
      </button>
      <button
        type="button"
        className="btn btn-icon"
        data-testid="resume"
        disabled={!canResume(status)}
        onClick={() => control('resume')}
        title="Resume"
      >
        <Icon name="resume" size={15} />
      </button>
      <button
        type="button"
        className="btn btn-icon"
        data-testid="cancel"
        disabled={!live}
        onClick={() => control('cancel')}
        title="Cancel: running nodes are aborted"
      >
        <Icon name="stop" size={15} />
      </button>
      <span
        className={`run-status status-${status ?? 'idle'}`}
        data-testid="run-status"
        data-status={status ?? 'idle'}
        data-run-id={runId}
        title={error ?? failure ?? runId ?? 'no run yet'}
      >
        <StateIcon state={status ?? 'idle'} size={12} />
        {status ?? 'no run'}
      </span>
      {runId && (
        <span className="run-meta muted small" data-testid="run-meta" title={runId}>
          {fmtTokens(tokens)} tok · {fmtCost(cost)}
        </span>
      )}
      {error && (
        <span className="run-error" role="alert" title={error}>
          {error}
        </span>
      )}
    </div>
  );
}
