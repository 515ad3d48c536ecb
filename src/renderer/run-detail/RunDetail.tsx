/**
 * One run: the graph as it ran (with a notice and a diff when the graph has changed since), a
 * time-travel slider that folds the log up to any event, and tabs for the trace, the timeline
 * (Gantt of attempts), the logs and the selected node. Exports its history and its graph.
 */
import { createContext, useContext, useEffect, useMemo, useState, type JSX } from 'react';
import type { Graph } from '../../core/graph/schema';
import { hostClient } from '../api/client';
import { dashboardStore } from '../dashboard/dashboard-store';
import { graphSource } from '../canvas/node-source';
import { ReadOnlyCanvas } from '../canvas/ReadOnlyCanvas';
import { foldTo, type RunSnapshot } from '../run/fold';
import { fmtCost, fmtMs, fmtTime, fmtTokens } from '../ui/format';
import { StateIcon } from '../ui/icons';
import { uiStore } from '../ui/ui-store';
import { downloadText } from './download';
import { Gantt } from './Gantt';
import { jsonDiff } from './json-diff';
import { JsonDiffView } from './JsonDiffView';
import { Logs } from './Logs';
import { eventLabel } from './time-travel';
import { JsonBlock, Trace } from './Trace';
import { buildTrace } from './trace';
import { useRunData, type RunData } from './use-run';
import '../dashboard/dashboard.css';

type Tab = 'trace' | 'timeline' | 'logs' | 'node';

/** The snapshot the canvas shows (time travel moves it). */
const Shown = createContext<RunSnapshot | null>(null);
const useShownNode = (id: string) => useContext(Shown)?.nodes[id];
const sources = new WeakMap<Graph, ReturnType<typeof graphSource>>();
const sourceOf = (g: Graph) => {
  let s = sources.get(g);
  if (!s) sources.set(g, (s = graphSource(g, useShownNode)));
  return s;
};

function GraphChanged({ data }: { data: RunData }): JSX.Element | null {
  const [open, setOpen] = useState(false);
  const entries = useMemo(
    () =>
      data.latestJson && data.latestJson !== data.snapshotJson
        ? jsonDiff(JSON.parse(data.snapshotJson), JSON.parse(data.latestJson))
        : [],
    [data.latestJson, data.snapshotJson],
  );
  if (!data.latestJson || data.latestJson === data.snapshotJson) return null;
  return (
    <div className="rd-notice" data-testid="graph-changed">
      <span>
        The graph <b>{data.graph.id}</b> has changed since this run: the canvas shows the version it ran (
        {entries.length} difference{entries.length === 1 ? '' : 's'}).
      </span>
      <button type="button" className="btn btn-ghost" data-testid="graph-diff-toggle" onClick={() => setOpen(!open)}>
        {open ? 'Hide changes' : 'Show changes'}
      </button>
      {open && <JsonDiffView entries={entries} testId="graph-diff" labels={['as run', 'latest']} />}
    </div>
  );
}

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

export function RunDetail({ runId }: { runId: string }): JSX.Element {
  const { data, error } = useRunData(runId);
  const [seq, setSeq] = useState<number | null>(null); // null: follow the end
  const [tab, setTab] = useState<Tab>('trace');
  const [node, setNode] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const events = data?.events ?? [];
  const lastSeq = events.at(-1)?.seq ?? 0;
  const at = seq === null ? lastSeq : Math.min(seq, lastSeq);
  const final = useMemo(() => (data ? foldTo(runId, data.graph, data.events) : null), [data, runId]);
  const past = useMemo(
    () => (data ? (at === lastSeq ? final! : foldTo(runId, data.graph, data.events, at)) : null),
    [data, at, lastSeq, final, runId],
  );
  const trace = useMemo(() => (data && final ? buildTrace(data.graph, final, data.events) : null), [data, final]);
  const live = final !== null && !['succeeded', 'failed', 'cancelled'].includes(final.status);
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [live]);

  const back = (
    <button
      type="button"
      className="btn btn-ghost"
      data-testid="run-detail-back"
      onClick={() => dashboardStore.getState().open({ kind: 'list' })}
    >
      ← Runs
    </button>
  );
  if (error || !data || !final || !past || !trace) {
    return (
      <div className="run-detail" data-testid="run-detail" data-loading="true">
        <div className="rd-head">{back}</div>
        <div className={error ? 'field-message' : 'muted'}>{error ?? 'Loading…'}</div>
      </div>
    );
  }
  const current = events.find((e) => e.seq === at);
  const sel = node ? final.nodes[node] : undefined;
  const duration = final.startedAt
    ? (final.finishedAt ? Date.parse(final.finishedAt) : now) - Date.parse(final.startedAt)
    : null;
  return (
    <div className="run-detail" data-testid="run-detail" data-run-id={runId}>
      <div className="rd-head">
        {back}
        <span
          className={`run-status status-${final.status}`}
          data-testid="run-detail-status"
          data-status={final.status}
        >
          <StateIcon state={final.status} size={12} /> {final.status}
        </span>
        <span className="mono rd-id">{runId}</span>
        <span className="rd-facts">
          <span>
            graph <b>{data.graph.id}</b>
          </span>
          <span>started {fmtTime(final.startedAt ?? final.createdAt)}</span>
          <span>{fmtMs(duration)}</span>
          <span>{fmtTokens(final.tokens)} tokens</span>
          <span>{fmtCost(final.costUsd)}</span>
        </span>
        <span className="spacer" />
        <button
          type="button"
          className="btn"
          data-testid="export-run-jsonl"
          onClick={() => void exportRun(runId, 'jsonl')}
        >
          Export history
        </button>
        <button
          type="button"
          className="btn"
          data-testid="export-run-graph"
          onClick={() => void exportRun(runId, 'graph')}
        >
          Export graph
        </button>
      </div>
      <GraphChanged data={data} />
      <div className="rd-body">
        <div className="rd-graph">
          <Shown.Provider value={past}>
            <ReadOnlyCanvas
              graph={data.graph}
              source={sourceOf(data.graph)}
              selected={node}
              onSelect={(id) => {
                setNode(id);
                if (id) setTab('node');
              }}
            />
          </Shown.Provider>
          <div className="time-travel" data-testid="time-travel-bar">
            <span className="muted small">Time travel</span>
            <input
              type="range"
              min={0}
              max={lastSeq}
              step={1}
              value={at}
              data-testid="time-travel"
              aria-label="Event sequence"
              onChange={(e) => {
                const v = Number(e.target.value);
                setSeq(v >= lastSeq ? null : v);
              }}
            />
            <span className="mono small tt-readout" data-testid="time-travel-seq" data-seq={at}>
              {at}/{lastSeq}
            </span>
            <span className="small tt-event" data-testid="time-travel-event">
              {seq === null ? `live · ${eventLabel(current)}` : eventLabel(current)}
            </span>
            <span
              className={`run-status status-${past.status}`}
              data-testid="time-travel-status"
              data-status={past.status}
            >
              {past.status}
            </span>
          </div>
        </div>
        <div className="rd-panel">
          <div className="segmented rd-tabs" role="tablist">
            {(['trace', 'timeline', 'logs', 'node'] as Tab[]).map((t) => (
              <button
                key={t}
                type="button"
                role="tab"
                aria-selected={tab === t}
                className={`seg${tab === t ? ' seg-on' : ''}`}
                data-testid={`rd-tab-${t}`}
                onClick={() => setTab(t)}
              >
                {t === 'node' ? (node ? `Node ${node}` : 'Node') : t[0]!.toUpperCase() + t.slice(1)}
              </button>
            ))}
          </div>
          <div className="rd-tab-body">
            {tab === 'trace' && <Trace root={trace} focus={node} />}
            {tab === 'timeline' && (
              <Gantt graph={data.graph} state={final} now={now} selected={node} onSelect={(id) => setNode(id)} />
            )}
            {tab === 'logs' && <Logs events={events} />}
            {tab === 'node' &&
              (sel && node ? (
                <div className="rd-node-detail" data-testid="rd-node-detail">
                  <div className="trace-field-label">status</div>
                  <div>
                    <span className={`run-status status-${sel.status}`}>{sel.status}</span>
                  </div>
                  {sel.input !== undefined && (
                    <>
                      <div className="trace-field-label">input (rendered config)</div>
                      <JsonBlock value={sel.input} />
                    </>
                  )}
                  {sel.output !== undefined && (
                    <>
                      <div className="trace-field-label">output</div>
                      <JsonBlock value={sel.output} />
                    </>
                  )}
                  {sel.error && (
                    <>
                      <div className="trace-field-label">error</div>
                      <JsonBlock value={sel.error} error />
                    </>
                  )}
                </div>
              ) : (
                <div className="muted rd-empty">Click a node on the canvas.</div>
              ))}
          </div>
        </div>
      </div>
    </div>
  );
}
