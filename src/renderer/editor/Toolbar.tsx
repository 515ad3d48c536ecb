/** The editor toolbar: files, versions, undo, layout, panels, and Run. */
import { useRef, type JSX } from 'react';
import { useReactFlow } from '@xyflow/react';
import { autoLayout } from '../doc/layout';
import { docStore, useDoc } from '../doc/store';
import { exportGraph, importGraphFile, newGraph, saveGraph } from '../doc/commands';
import { ToolButton } from '../ui/ToolButton';
import { uiStore, useUi } from '../ui/ui-store';
import { RunButton } from './RunButton';
import { askSubgraph } from './SubgraphDialog';

export async function layoutNow(fit?: () => void): Promise<void> {
  const s = docStore.getState();
  const positions = await autoLayout(s.graph, s.measured);
  s.apply(positions.map((p) => ({ type: 'move-node' as const, id: p.id, position: p.position })));
  setTimeout(() => fit?.(), 30);
}

export function Toolbar(): JSX.Element {
  const canUndo = useDoc((s) => s.history.past.length > 0);
  const canRedo = useDoc((s) => s.history.future.length > 0);
  const dirty = useDoc((s) => s.dirty);
  const savedId = useDoc((s) => s.savedId);
  const selected = useDoc((s) => s.selectedNodes.length);
  const panels = useUi((s) => s.panels);
  const { fitView } = useReactFlow();
  const fileInput = useRef<HTMLInputElement>(null);
  const fit = () => void fitView({ padding: 0.2, duration: 250, maxZoom: 1.1 });
  return (
    <div className="toolbar" role="toolbar" aria-label="Editor" data-testid="toolbar-editor">
      <div className="tool-group">
        <ToolButton icon="plus" label="New" onClick={newGraph} testId="new-graph" />
        <ToolButton
          icon="folder"
          label="Open"
          onClick={() => uiStore.getState().open({ kind: 'open' })}
          testId="open-graph"
        />
        <ToolButton icon="save" label="Save" onClick={() => void saveGraph()} testId="save" primary={dirty} />
        <ToolButton
          icon="file"
          label="Save as"
          onClick={() => uiStore.getState().open({ kind: 'save-as' })}
          testId="save-as"
        />
      </div>
      <div className="tool-group">
        <ToolButton
          icon="history"
          label="History"
          testId="open-history"
          disabled={savedId === null}
          title={savedId === null ? 'Save the graph first: its saved versions show here' : 'Every saved version'}
          onClick={() => savedId && uiStore.getState().showPane({ kind: 'history', graphId: savedId })}
        />
      </div>
      <div className="tool-group">
        {/* A real button (Tab reaches it, its focus shows, it is announced as one) opens the file
            chooser of a hidden input; the input keeps the `import-graph` hook (setInputFiles, the menu). */}
        <ToolButton
          icon="upload"
          label="Import"
          testId="import-graph-button"
          title="Import a graph file (.json, .yaml)"
          onClick={() => fileInput.current?.click()}
        />
        <input
          ref={fileInput}
          type="file"
          accept=".json,.yaml,.yml,application/json,application/yaml"
          data-testid="import-graph"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void importGraphFile(file);
          }}
        />
        <ToolButton icon="download" label="Export" onClick={exportGraph} testId="export-graph" />
      </div>
      <div className="tool-group">
        <ToolButton
          icon="undo"
          label="Undo"
          onClick={() => docStore.getState().undo()}
          testId="undo"
          disabled={!canUndo}
        />
        <ToolButton
          icon="redo"
          label="Redo"
          onClick={() => docStore.getState().redo()}
          testId="redo"
          disabled={!canRedo}
        />
      </div>
      <div className="tool-group">
        <ToolButton icon="layout" label="Layout" onClick={() => void layoutNow(fit)} testId="auto-layout" />
        <ToolButton icon="fit" label="Fit" onClick={fit} testId="zoom-fit" />
        <ToolButton
          icon="subgraph"
          label="To subgraph"
          onClick={askSubgraph}
          testId="make-subgraph"
          disabled={selected === 0}
          title={
            selected === 0
              ? 'Select nodes to turn them into a subgraph'
              : 'Create subgraph from selection (Ctrl+G): a saved graph and a subgraph node in their place'
          }
        />
      </div>
      <div className="tool-group">
        <ToolButton
          icon="panel"
          label="Palette"
          testId="toggle-palette"
          pressed={panels.palette}
          title={panels.palette ? 'Hide the palette' : 'Show the palette'}
          onClick={() => uiStore.getState().togglePanel('palette')}
        />
        <ToolButton
          icon="panel"
          label="Panel"
          testId="toggle-side-panel"
          pressed={panels.side}
          title={panels.side ? 'Hide the side panel' : 'Show the side panel'}
          onClick={() => uiStore.getState().togglePanel('side')}
        />
      </div>
      <span className="spacer" />
      <RunButton />
    </div>
  );
}
