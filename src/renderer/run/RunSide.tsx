/**
 * The run view's side panel: the selected node (the inspector; the run's summary when none is
 * selected), the trace, the timeline and the logs, each as of the time-travel position.
 */
import { useEffect, useMemo, useState, type JSX } from 'react';
import { canControl } from '../../core/engine/machines';
import type { Graph } from '../../core/graph/schema';
import { topology } from '../../core/graph/topology';
import { graphIndex } from '../canvas/node-source';
import { Tabs } from '../ui/Tabs';
import { useRunView, useSession } from './context';
import { isTerminalStatus, type RunSnapshot } from './fold';
import { Gantt } from './Gantt';
import { Inspector, type NodeActions } from './Inspector';
import { Logs, logLines } from './Logs';
import { RunSummary } from './RunSummary';
import { eventsShown, type RunTab } from './session';
import { Trace } from './Trace';
import { buildTrace } from './trace';

const TABS: { id: RunTab; label: string }[] = [
  { id: 'node', label: 'Node' },
  { id: 'trace', label: 'Trace' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'logs', label: 'Logs' },
];

/** What a code node received: the run input and the outputs of the nodes upstream of it. */
function codeArgs(graph: Graph, run: RunSnapshot, nodeId: string): unknown {
  const nodes: Record<string, unknown> = {};
  try {
    for (const id of topology(graph).ancestors(nodeId))
      if (run.nodes[id]?.output !== undefined) nodes[id] = run.nodes[id]!.output;
  } catch {
    /* a graph that does not sort: show the input alone */
  }
  return { input: run.input, nodes };
}

function NodeTab({ graph }: { graph: Graph }): JSX.Element | null {
  const { session, actions, openDialog, openRun } = useRunView();
  const nodeId = useSession((s) => s.selected);
  const shown = useSession((s) => s.shown);
  const snap = useSession((s) => (nodeId ? s.shown?.nodes[nodeId] : undefined));
  const live = useSession((s) => (nodeId && s.at === null ? s.live?.nodes[nodeId]?.status : undefined));
  const runLive = useSession((s) => (s.at === null ? s.live?.status : undefined));
  const error = useSession((s) => s.error);
  const at = useSession((s) => s.at);
  if (!shown) return null;
  if (!nodeId) return <RunSummary run={shown} />;
  const node = graphIndex(graph).get(nodeId);
  const a: NodeActions = {};
  if (live === 'waiting' && node?.type === 'approval')
    a.decide = (approved) => openDialog({ kind: 'approval', nodeId, approved });
  if (live === 'failed' || live === 'in-doubt') a.retry = () => void actions.retry(nodeId);
  if (live === 'in-doubt') a.resolve = (output) => actions.resolve(nodeId, output);
  if (runLive !== undefined && canControl(runLive, 'rerun')) a.rerun = () => openDialog({ kind: 'rerun', nodeId });
  return (
    <Inspector
      key={nodeId}
      nodeId={nodeId}
      node={node}
      snap={snap}
      received={node?.type === 'code' && snap && snap.status !== 'idle' ? codeArgs(graph, shown, nodeId) : undefined}
      actions={a}
      error={error}
      note={at !== null ? `As it was at event #${at}; controls act on the live run.` : undefined}
      onClose={() => session.setState({ selected: null })}
      onOpenChild={(runId) => openRun(runId, { related: true })}
    />
  );
}

function TraceTab({ graph }: { graph: Graph }): JSX.Element | null {
  const { session } = useRunView();
  const shown = useSession((s) => s.shown);
  const count = useSession((s) => s.eventCount);
  const at = useSession((s) => s.at);
  const selected = useSession((s) => s.selected);
  const trace = useMemo(
    () => (shown ? buildTrace(graph, shown, eventsShown(session.getState())) : null),
    // The events grow in place: count and at say when they changed.
    [graph, shown, count, at, session],
  );
  return trace ? <Trace root={trace} focus={selected} /> : null;
}

/** The timeline's "now": the wall clock while live (ticking while the run goes on), else the event shown. */
function useNow(): number {
  const { session } = useRunView();
  const at = useSession((s) => s.at);
  const going = useSession((s) => s.at === null && s.live !== null && !isTerminalStatus(s.live.status));
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!going) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [going]);
  if (at === null) return going ? now : Date.now();
  const e = eventsShown(session.getState()).at(-1);
  return e ? Date.parse(e.ts) : now;
}

function TimelineTab({ graph }: { graph: Graph }): JSX.Element | null {
  const { session } = useRunView();
  const shown = useSession((s) => s.shown);
  const selected = useSession((s) => s.selected);
  const now = useNow();
  if (!shown) return null;
  return (
    <Gantt
      graph={graph}
      state={shown}
      now={now}
      selected={selected}
      onSelect={(id) => session.setState({ selected: id })}
    />
  );
}

function LogsTab(): JSX.Element {
  const { session } = useRunView();
  const count = useSession((s) => s.eventCount);
  const at = useSession((s) => s.at);
  // The events grow in place (the same array while live): count and at say when they changed, so
  // the lines are built here, not memoized on the array.
  const lines = useMemo(() => logLines(eventsShown(session.getState())), [session, count, at]);
  return <Logs lines={lines} />;
}

export function RunSide(): JSX.Element | null {
  const { session } = useRunView();
  const graph = useSession((s) => s.graph);
  const tab = useSession((s) => s.tab);
  const selected = useSession((s) => s.selected);
  if (!graph) return null;
  return (
    <aside className="run-side" aria-label="Run details">
      <Tabs<RunTab>
        className="segmented rd-tabs"
        style="segmented"
        label="Run details"
        tabs={TABS.map((t) => (t.id === 'node' && selected ? { ...t, label: `Node ${selected}` } : t))}
        current={tab}
        onChange={(id) => session.setState({ tab: id })}
        idPrefix="run-tab"
        panelId="run-tab-panel"
        testIdPrefix="rd-tab-"
      />
      <div className="rd-tab-body" role="tabpanel" id="run-tab-panel" aria-labelledby={`run-tab-${tab}`}>
        {tab === 'node' && <NodeTab graph={graph} />}
        {tab === 'trace' && <TraceTab graph={graph} />}
        {tab === 'timeline' && <TimelineTab graph={graph} />}
        {tab === 'logs' && <LogsTab />}
      </div>
    </aside>
  );
}
