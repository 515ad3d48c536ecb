/**
 * The one run view. However a run is opened (Run in the editor, a row of the runs table, a
 * link `#run=<id>`), it is this: the live canvas of the graph as it ran with every control that
 * applies (pause, resume, cancel, approve/reject on the card and in the inspector, retry,
 * resolve, rerun), the inspector, the trace, the timeline, the logs, and time travel, which
 * moves every one of them to the chosen event.
 */
import { useEffect, useMemo, useState, type JSX } from 'react';
import { useStore } from 'zustand';
import { graphSource } from '../canvas/node-source';
import { ReadOnlyCanvas } from '../canvas/ReadOnlyCanvas';
import { hostClient } from '../api/client';
import { useUi } from '../ui/ui-store';
import { RunViewContext, runActions, useRunView, useSession, type RunDialog } from './context';
import { animatedEdges } from './fold';
import { RunDialogs } from './RunDialogs';
import { RunNotices } from './RunNotices';
import { RunSide } from './RunSide';
import { RunToolbar } from './RunToolbar';
import { Breadcrumb, childOpener } from './Breadcrumb';
import { openRunSession, type RunSession } from './session';
import { TimeTravel } from './TimeTravel';

/** How another run is opened in a view's place: `related` (a child or a parent) is not a new run of the document. */
export interface OpenRunOptions {
  /** The node to select in it (back to a parent: the node that started the child). */
  select?: string;
  related?: boolean;
}

export interface RunViewProps {
  runId: string;
  /** The node selected when the view opens. */
  select?: string | undefined;
  /** Where the back button leads ("Editor", "Runs"). */
  back: { label: string; onClick(): void };
  /** Shows another run in this view's place (after a rerun; a child run; back to its parent). */
  openRun(runId: string, opts?: OpenRunOptions): void;
}

/** The session of one run, open while the view shows it. */
function useRunSession(runId: string, select: string | undefined): RunSession | null {
  const [open, setOpen] = useState<ReturnType<typeof openRunSession> | null>(null);
  useEffect(() => {
    const o = openRunSession(hostClient(), runId);
    if (select) o.session.setState({ selected: select, tab: 'node' });
    setOpen(o);
    return () => o.close();
    // The view is keyed by its run: the selection it opens with is read once.
  }, [runId]);
  return open && open.session.getState().runId === runId ? open.session : null;
}

function RunCanvasPane(): JSX.Element | null {
  const { session, openDialog, openChild } = useRunView();
  const graph = useSession((s) => s.graph);
  const selected = useSession((s) => s.selected);
  const flowing = useSession((s) => (s.graph && s.shown ? animatedEdges(s.graph, s.shown) : ''));
  const source = useMemo(
    () =>
      graph
        ? graphSource(graph, (id) => useStore(session, (s) => s.shown?.nodes[id]), {
            decide: (nodeId, approved) => openDialog({ kind: 'approval', nodeId, approved }),
            // Approve and reject act on the live run: not on a card shown as it was in the past.
            useLive: () => useStore(session, (s) => s.at === null),
            openChild,
          })
        : null,
    [graph, session, openDialog, openChild],
  );
  if (!graph || !source) return null;
  return (
    <ReadOnlyCanvas
      graph={graph}
      source={source}
      selected={selected}
      onSelect={(id) => session.setState(id ? { selected: id, tab: 'node' } : { selected: null })}
      onOpen={openChild}
      flowing={flowing}
    />
  );
}

export function RunView({ runId, select, back, openRun }: RunViewProps): JSX.Element {
  const session = useRunSession(runId, select);
  const [dialog, setDialog] = useState<RunDialog | null>(null);
  const sideOpen = useUi((s) => s.panels.side);
  const ctx = useMemo(
    () =>
      session
        ? {
            session,
            actions: runActions(hostClient(), session),
            openDialog: setDialog,
            openRun,
            openChild: childOpener(session, openRun),
          }
        : null,
    [session, openRun],
  );
  if (!ctx) {
    return (
      <div className="run-view" data-testid="run-view" data-loading="true">
        <div className="muted run-loading">Loading run {runId}…</div>
      </div>
    );
  }
  return (
    <RunViewContext.Provider value={ctx}>
      <Body back={back} sideOpen={sideOpen} />
      <RunDialogs dialog={dialog} onClose={() => setDialog(null)} />
    </RunViewContext.Provider>
  );
}

function Body({ back, sideOpen }: { back: RunViewProps['back']; sideOpen: boolean }): JSX.Element {
  const runId = useSession((s) => s.runId);
  const loadError = useSession((s) => s.loadError);
  const loading = useSession((s) => s.live === null);
  return (
    <div
      className={`run-view${sideOpen ? '' : ' side-closed'}`}
      data-testid="run-view"
      data-run-id={runId}
      data-loading={loading ? 'true' : undefined}
    >
      <RunToolbar back={back} />
      <Breadcrumb />
      {loadError ? (
        <div className="field-message run-loading" role="alert">
          Could not open run {runId}: {loadError}
        </div>
      ) : (
        <>
          <RunNotices />
          <div className="run-body">
            <div className="run-main">
              <RunCanvasPane />
              <TimeTravel />
            </div>
            {sideOpen && <RunSide />}
          </div>
        </>
      )}
    </div>
  );
}
