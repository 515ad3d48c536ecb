/** Toolbar run controls: run (with the input form), pause, resume, cancel, and the run status. */
import type { JSX } from 'react';
import { hostClient } from '../api/client';
import { docStore, useDoc } from '../doc/store';
import { Icon, StateIcon } from '../ui/icons';
import { uiStore } from '../ui/ui-store';
import { inputFields } from './InputForm';
import { isTerminal, runStore, useRun } from './run-store';

export function startRun(input: unknown): void {
  uiStore.getState().open(null);
  void runStore.getState().start(hostClient(), docStore.getState().graph, input);
}

/** Run: straight away when the graph takes no input fields, else through the input form. */
export function requestRun(): void {
  const graph = docStore.getState().graph;
  if (inputFields(graph.input).length === 0) startRun({});
  else uiStore.getState().open({ kind: 'run-input' });
}

export function RunControls(): JSX.Element {
  const view = useRun((s) => s.view);
  const busy = useRun((s) => s.busy);
  const error = useRun((s) => s.error);
  const invalid = useDoc((s) => s.issues.all.length > 0 || s.graph.nodes.length === 0);
  const status = view?.status ?? 'idle';
  const live = !isTerminal(view);
  const control = (a: 'pause' | 'resume' | 'cancel') => void runStore.getState().control(hostClient(), a);
  return (
    <div className="run-controls">
      <button type="button" className="btn btn-primary" data-testid="run" disabled={busy || invalid || (live && status !== 'interrupted')} onClick={requestRun} title={invalid ? 'Fix the problems first' : 'Run the graph'}>
        <Icon name="play" size={13} /> Run
      </button>
      <button type="button" className="btn btn-icon" data-testid="pause" disabled={!(status === 'running' || status === 'waiting' || status === 'queued')} onClick={() => control('pause')} title="Pause">
        <Icon name="pause" size={15} />
      </button>
      <button type="button" className="btn btn-icon" data-testid="resume" disabled={!(status === 'paused' || status === 'interrupted')} onClick={() => control('resume')} title="Resume">
        <Icon name="resume" size={15} />
      </button>
      <button type="button" className="btn btn-icon" data-testid="cancel" disabled={!live} onClick={() => control('cancel')} title="Cancel">
        <Icon name="stop" size={15} />
      </button>
      <span className={`run-status status-${status}`} data-testid="run-status" data-status={status} title={error ?? view?.error?.message ?? (view ? view.runId : 'no run yet')}>
        <StateIcon state={status} size={12} />
        {view ? status : 'no run'}
      </span>
      {error && (
        <span className="run-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
