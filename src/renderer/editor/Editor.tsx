/** The Editor view: toolbar, palette, canvas, side panel, and the editing shortcuts. */
import { useEffect, useMemo, useState, type JSX } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { copySelection, pasteChanges, type Clip } from '../doc/graph-edit';
import { docStore, useDoc } from '../doc/store';
import { graphIndex, graphSource } from '../canvas/node-source';
import { ReadOnlyCanvas } from '../canvas/ReadOnlyCanvas';
import { animatedEdges } from '../run/fold';
import { Inspector } from '../run/Inspector';
import { runStore, useNodeView, useRun } from '../run/run-store';
import { RunSummary } from '../run/RunSummary';
import { uiStore } from '../ui/ui-store';
import { Canvas } from './Canvas';
import { GraphPanel } from './GraphPanel';
import { NodePanel } from './NodePanel';
import { Palette } from './Palette';
import { Toolbar } from './Toolbar';

let clipboard: Clip | null = null;
let pasteCount = 0;

const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement && t.closest('input, textarea, select, [contenteditable="true"], .monaco-editor') !== null;

function useShortcuts(): void {
  const { fitView } = useReactFlow();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod || typing(e.target) || runStore.getState().mode === 'run') return;
      const s = docStore.getState();
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) s.undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') s.redo();
      else if (key === 'c' && s.selectedNodes.length) {
        clipboard = copySelection(s.graph, new Set(s.selectedNodes));
        pasteCount = 0;
        void navigator.clipboard?.writeText(JSON.stringify(clipboard, null, 2)).catch(() => undefined);
      } else if (key === 'v' && clipboard) {
        pasteCount++;
        const { changes, ids } = pasteChanges(s.graph, clipboard, { x: 40 * pasteCount, y: 40 * pasteCount });
        s.apply(changes);
        s.select(ids, []);
      } else if (key === 'a') {
        s.select(
          s.graph.nodes.map((n) => n.id),
          s.graph.edges.map((x) => x.id),
        );
      } else if (key === '0') void fitView({ padding: 0.2, duration: 200 });
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [fitView]);
}

/** The side panel in the editor: with a run on the canvas, a selected node has a Run tab (the inspector). */
function EditPanel(): JSX.Element {
  const selected = useDoc((s) => (s.selectedNodes.length === 1 ? s.selectedNodes[0]! : null));
  const node = useDoc((s) => (selected ? s.index.get(selected) : undefined));
  const hasRun = useRun((s) => s.view !== null);
  const [tab, setTab] = useState<'run' | 'config'>('run');
  if (!selected) return <GraphPanel />;
  if (!hasRun) return <NodePanel key={selected} nodeId={selected} />;
  return (
    <div className="panel-stack">
      <div className="panel-tabs" role="tablist">
        {(['run', 'config'] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            data-testid={`panel-tab-${t}`}
            className={tab === t ? 'tab tab-active' : 'tab'}
            onClick={() => setTab(t)}
          >
            {t === 'run' ? 'Run' : 'Config'}
          </button>
        ))}
      </div>
      {tab === 'run' ? (
        <Inspector key={selected} nodeId={selected} node={node} />
      ) : (
        <NodePanel key={selected} nodeId={selected} />
      )}
    </div>
  );
}

const inspect = (id: string | null) => runStore.getState().inspect(id);

/** Run mode: a run opened by id, on a read-only canvas of its graph snapshot. */
function RunModeBody(): JSX.Element | null {
  const graph = useRun((s) => s.graph);
  const inspected = useRun((s) => s.inspected);
  const flowing = useRun((s) => (s.graph && s.view ? animatedEdges(s.graph, s.view) : ''));
  const source = useMemo(
    () =>
      graph
        ? graphSource(graph, useNodeView, {
            decide: (nodeId, approved) => uiStore.getState().open({ kind: 'approval', nodeId, approved }),
          })
        : null,
    [graph],
  );
  if (!graph || !source) return null;
  return (
    <div className="editor-body">
      <ReadOnlyCanvas
        graph={graph}
        source={source}
        selected={inspected}
        onSelect={inspect}
        flowing={flowing}
        testId="run-mode-canvas"
      />
      {inspected ? (
        <Inspector
          key={inspected}
          nodeId={inspected}
          node={graphIndex(graph).get(inspected)}
          onClose={() => inspect(null)}
        />
      ) : (
        <RunSummary />
      )}
    </div>
  );
}

function EditorBody(): JSX.Element {
  useShortcuts();
  const mode = useRun((s) => s.mode);
  return (
    <div className="editor">
      <Toolbar />
      {mode === 'run' ? (
        <RunModeBody />
      ) : (
        <div className="editor-body">
          <Palette />
          <Canvas />
          <EditPanel />
        </div>
      )}
    </div>
  );
}

export function Editor(): JSX.Element {
  return (
    <ReactFlowProvider>
      <EditorBody />
    </ReactFlowProvider>
  );
}
