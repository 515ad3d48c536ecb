/** The editor toolbar: files, history, layout, and the run controls. */
import type { JSX } from 'react';
import { useReactFlow } from '@xyflow/react';
import { autoLayout } from '../doc/layout';
import { docStore, useDoc } from '../doc/store';
import { RunControls } from '../run/RunControls';
import { runStore, useRun } from '../run/run-store';
import { Icon, type UiIconName } from '../ui/icons';
import { uiStore } from '../ui/ui-store';
import { exportGraph, importGraphFile, newGraph, saveGraph } from './commands';

function Btn({
  icon,
  label,
  onClick,
  testId,
  disabled,
  primary,
}: {
  icon: UiIconName;
  label: string;
  onClick(): void;
  testId?: string;
  disabled?: boolean;
  primary?: boolean;
}): JSX.Element {
  return (
    <button
      type="button"
      className={`btn btn-tool${primary ? ' btn-accent' : ''}`}
      data-testid={testId}
      disabled={disabled}
      onClick={onClick}
      title={label}
    >
      <Icon name={icon} size={15} />
      <span className="btn-label">{label}</span>
    </button>
  );
}

export async function layoutNow(fit?: () => void): Promise<void> {
  const s = docStore.getState();
  const positions = await autoLayout(s.graph, s.measured);
  s.apply(positions.map((p) => ({ type: 'move-node' as const, id: p.id, position: p.position })));
  setTimeout(() => fit?.(), 30);
}

function RunModeToolbar(): JSX.Element {
  const runId = useRun((s) => s.view?.runId);
  const graphId = useRun((s) => s.graph?.name ?? s.graph?.id);
  return (
    <div className="toolbar toolbar-run" role="toolbar" aria-label="Run" data-testid="run-mode-banner">
      <button
        type="button"
        className="btn btn-tool"
        data-testid="leave-run-mode"
        onClick={() => runStore.getState().leave()}
        title="Back to the document"
      >
        <Icon name="back" size={15} />
        <span className="btn-label">Editor</span>
      </button>
      <div className="run-mode-title">
        <span className="chip">read-only</span> Run <span className="mono">{runId}</span> of <b>{graphId}</b>
      </div>
      <span className="spacer" />
      <RunControls />
    </div>
  );
}

export function Toolbar(): JSX.Element {
  const mode = useRun((s) => s.mode);
  return mode === 'run' ? <RunModeToolbar /> : <EditToolbar />;
}

function EditToolbar(): JSX.Element {
  const canUndo = useDoc((s) => s.history.past.length > 0);
  const canRedo = useDoc((s) => s.history.future.length > 0);
  const dirty = useDoc((s) => s.dirty);
  const { fitView } = useReactFlow();
  const fit = () => void fitView({ padding: 0.2, duration: 250, maxZoom: 1.1 });
  return (
    <div className="toolbar" role="toolbar" aria-label="Editor">
      <div className="tool-group">
        <Btn icon="plus" label="New" onClick={newGraph} testId="new-graph" />
        <Btn icon="folder" label="Open" onClick={() => uiStore.getState().open({ kind: 'open' })} testId="open-graph" />
        <Btn icon="save" label="Save" onClick={() => void saveGraph()} testId="save" primary={dirty} />
        <Btn
          icon="file"
          label="Save as"
          onClick={() => uiStore.getState().open({ kind: 'save-as' })}
          testId="save-as"
        />
      </div>
      <div className="tool-group">
        <label className="btn btn-tool" title="Import a graph file (.json)">
          <Icon name="upload" size={15} />
          <span className="btn-label">Import</span>
          <input
            type="file"
            accept=".json,application/json"
            data-testid="import-graph"
            className="visually-hidden"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void importGraphFile(file);
            }}
          />
        </label>
        <Btn icon="download" label="Export" onClick={exportGraph} testId="export-graph" />
      </div>
      <div className="tool-group">
        <Btn icon="undo" label="Undo" onClick={() => docStore.getState().undo()} testId="undo" disabled={!canUndo} />
        <Btn icon="redo" label="Redo" onClick={() => docStore.getState().redo()} testId="redo" disabled={!canRedo} />
      </div>
      <div className="tool-group">
        <Btn icon="layout" label="Layout" onClick={() => void layoutNow(fit)} testId="auto-layout" />
        <Btn icon="fit" label="Fit" onClick={fit} testId="zoom-fit" />
      </div>
      <span className="spacer" />
      <RunControls />
    </div>
  );
}
