/** The Editor view: toolbar, palette, canvas, side panel, and the editing shortcuts. */
import { useEffect, type JSX } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { copySelection, pasteChanges, type Clip } from '../doc/graph-edit';
import { docStore, useDoc } from '../doc/store';
import { Canvas } from './Canvas';
import { GraphPanel } from './GraphPanel';
import { NodePanel } from './NodePanel';
import { Palette } from './Palette';
import { Toolbar } from './Toolbar';

let clipboard: Clip | null = null;
let pasteCount = 0;

const typing = (t: EventTarget | null) => t instanceof HTMLElement && (t.closest('input, textarea, select, [contenteditable="true"], .monaco-editor') !== null);

function useShortcuts(): void {
  const { fitView } = useReactFlow();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod || typing(e.target)) return;
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

function EditorBody(): JSX.Element {
  useShortcuts();
  const selected = useDoc((s) => (s.selectedNodes.length === 1 ? s.selectedNodes[0]! : null));
  return (
    <div className="editor">
      <Toolbar />
      <div className="editor-body">
        <Palette />
        <Canvas />
        {selected ? <NodePanel key={selected} nodeId={selected} /> : <GraphPanel />}
      </div>
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
