/**
 * The Editor tab: the document (toolbar, palette, canvas, side panel, editing shortcuts), or a
 * run of it (the one run view), or the graph's saved versions.
 */
import { lazy, Suspense, useCallback, useEffect, type JSX } from 'react';
import { ReactFlowProvider, useReactFlow, type ReactFlowInstance } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { copySelection, pasteChanges, type Clip } from '../doc/graph-edit';
import { boundsOf, pastePlace } from '../doc/place';
import { docStore, useDoc } from '../doc/store';
import { uiStore, useUi } from '../ui/ui-store';
import { Canvas } from './Canvas';
import { GraphPanel } from './GraphPanel';
import { Palette } from './Palette';
import { Toolbar } from './Toolbar';
import { askSubgraph } from './SubgraphDialog';
import { cardRects, visibleFlowRect } from './view-rect';
import type { OpenRunOptions } from '../run/RunView';

// Loaded when first shown: the first load carries the editor alone (see README, Performance).
const RunView = lazy(() => import('../run/RunView').then((m) => ({ default: m.RunView })));
const VersionHistory = lazy(() => import('../versions/VersionHistory').then((m) => ({ default: m.VersionHistory })));
const NodeSide = lazy(() => import('./NodeSide').then((m) => ({ default: m.NodeSide })));
const Loading = () => <div className="muted pane-loading">Loading…</div>;

let clipboard: Clip | null = null;

const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement &&
  t.closest('input, textarea, select, [contenteditable="true"], .monaco-editor, .nokey') !== null;

/**
 * Pastes the clip in view, clear of every card: beside the copied nodes when they are in view
 * (see place.ts pastePlace); the view moves to the copies where it has no room for them.
 */
function pasteInView(clip: Clip, flow: Pick<ReactFlowInstance, 'screenToFlowPosition' | 'setCenter' | 'getZoom'>) {
  const s = docStore.getState();
  // The copied nodes where they were copied (the paste moves those positions), at their sizes.
  const copied = cardRects(clip.nodes, s.measured);
  const p = pastePlace(copied, cardRects(s.graph.nodes, s.measured), visibleFlowRect(flow));
  const { changes, ids } = pasteChanges(s.graph, clip, { x: p.dx, y: p.dy });
  s.apply(changes);
  s.select(ids, []);
  if (p.inView || copied.length === 0) return;
  const box = boundsOf(copied);
  void flow.setCenter(box.x + p.dx + box.width / 2, box.y + p.dy + box.height / 2, {
    zoom: flow.getZoom(),
    duration: 0,
  });
}

function useShortcuts(): void {
  const flow = useReactFlow();
  const { fitView } = flow;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod || typing(e.target)) return;
      const ui = uiStore.getState();
      if (ui.view !== 'editor' || ui.pane.kind !== 'edit' || ui.dialog) return;
      const s = docStore.getState();
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) s.undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') s.redo();
      else if (key === 'c' && s.selectedNodes.length) {
        clipboard = copySelection(s.graph, new Set(s.selectedNodes));
        void navigator.clipboard?.writeText(JSON.stringify(clipboard, null, 2)).catch(() => undefined);
      } else if (key === 'v' && clipboard) {
        pasteInView(clipboard, flow);
      } else if (key === 'a') {
        s.select(
          s.graph.nodes.map((n) => n.id),
          s.graph.edges.map((x) => x.id),
        );
      } else if (key === '0') void fitView({ padding: 0.2, duration: 200 });
      else if (key === 'g' && s.selectedNodes.length) askSubgraph();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [fitView, flow]);
}

/** The side panel: the graph's own fields, or the selected node (its config, and testing it). */
function EditPanel(): JSX.Element {
  const selected = useDoc((s) => (s.selectedNodes.length === 1 ? s.selectedNodes[0]! : null));
  return selected ? (
    <Suspense fallback={<aside className="side-panel" aria-busy="true" />}>
      <NodeSide key={selected} nodeId={selected} />
    </Suspense>
  ) : (
    <GraphPanel />
  );
}

function EditBody(): JSX.Element {
  useShortcuts();
  const panels = useUi((s) => s.panels);
  return (
    <div className="editor">
      <Toolbar />
      <div className={`editor-body${panels.palette ? '' : ' palette-closed'}${panels.side ? '' : ' side-closed'}`}>
        {panels.palette && <Palette />}
        <Canvas />
        {panels.side && <EditPanel />}
      </div>
    </div>
  );
}

export function Editor(): JSX.Element {
  const pane = useUi((s) => s.pane);
  const back = useCallback(() => uiStore.getState().showPane({ kind: 'edit' }), []);
  const openRun = useCallback((runId: string, opts: OpenRunOptions = {}) => {
    // A child or parent opened from a run is not a run of the document (its previews read the last run).
    if (!opts.related) uiStore.getState().setLastRun(runId);
    uiStore.getState().showPane({ kind: 'run', runId, ...(opts.select ? { select: opts.select } : {}) });
  }, []);
  return (
    <>
      <Suspense fallback={<Loading />}>
        {pane.kind === 'run' && (
          <RunView
            key={pane.runId}
            runId={pane.runId}
            select={pane.select}
            back={{ label: 'Editor', onClick: back }}
            openRun={openRun}
          />
        )}
        {pane.kind === 'history' && <VersionHistory key={pane.graphId} graphId={pane.graphId} onBack={back} />}
      </Suspense>
      {/* The document stays mounted (its viewport and selection) while a run or the history is shown. */}
      <div className="editor-pane" hidden={pane.kind !== 'edit'}>
        <ReactFlowProvider>
          <EditBody />
        </ReactFlowProvider>
      </div>
    </>
  );
}
