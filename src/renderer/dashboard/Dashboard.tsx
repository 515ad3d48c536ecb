/**
 * The runs dashboard: filters, a virtualized sortable table over `runs.list` pages, live
 * refresh of the rows in view as events arrive (throttled), and bulk actions on the selection.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { hostClient } from '../api/client';
import { uiStore } from '../ui/ui-store';
import { cancelRuns, rerunRuns, type BulkResult } from './bulk';
import { dashboardStore, listQuery, useDashboard } from './dashboard-store';
import { Filters } from './Filters';
import { useRunPages } from './run-pages';
import { RunsTable } from './RunsTable';
import './dashboard.css';

const LIVE_THROTTLE_MS = 400;

function report(what: string, r: BulkResult): void {
  const ui = uiStore.getState();
  if (r.failed.length === 0) ui.notify('success', `${what}: ${r.ok.length} run${r.ok.length === 1 ? '' : 's'}`);
  else
    ui.notify(
      'error',
      `${what}: ${r.ok.length} done, ${r.failed.length} refused`,
      r.failed.map((f) => `${f.runId}: ${f.message}`),
    );
}

export function Dashboard(): JSX.Element {
  const client = hostClient();
  const filters = useDashboard((s) => s.filters);
  const sort = useDashboard((s) => s.sort);
  const order = useDashboard((s) => s.order);
  const selected = useDashboard((s) => s.selected);
  const query = useMemo(() => listQuery(filters, sort, order), [filters, sort, order]);
  const pages = useRunPages(client, query);
  const pagesRef = useRef(pages);
  pagesRef.current = pages;
  const range = useRef<[number, number]>([0, 0]);
  const [busy, setBusy] = useState(false);
  const { ensure, refresh } = pages;

  const onRange = useCallback(
    (first: number, last: number) => {
      range.current = [first, last];
      ensure(first, last);
    },
    [ensure],
  );

  // Live: a new run, or an event or a change of status (a run handed back to the workers) of a run
  // in view, refreshes the rows in view (at most every 400 ms).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const later = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        refresh();
      }, LIVE_THROTTLE_MS);
    };
    const off = client.onEvents((runId, events) => {
      if (timer) return;
      if (events.some((e) => e.type === 'run.created') || pagesRef.current.has(runId)) later();
    });
    const offStatus = client.onStatus((runId) => {
      if (!timer && pagesRef.current.has(runId)) later();
    });
    return () => {
      off();
      offStatus();
      if (timer) clearTimeout(timer);
    };
  }, [client, refresh]);

  const ids = [...selected];
  const bulk = async (what: string, fn: typeof cancelRuns) => {
    setBusy(true);
    try {
      report(what, await fn(client, ids));
      refresh();
    } finally {
      setBusy(false);
    }
  };
  const [first, last] = range.current;
  const inView = pages.loadedIds(first, last);
  const allOn = inView.length > 0 && inView.every((id) => selected.has(id));

  return (
    <div className="dashboard" data-testid="dashboard">
      <div className="dashboard-head">
        <h2 className="page-title">Runs</h2>
        <span className="runs-total muted" data-testid="runs-total" data-total={pages.total ?? ''}>
          {pages.total === null
            ? 'Loading…'
            : `${pages.total.toLocaleString('en-US')} run${pages.total === 1 ? '' : 's'}`}
        </span>
        <span className="spacer" />
        <label className="select-all">
          <input
            type="checkbox"
            data-testid="select-all"
            checked={allOn}
            onChange={(e) =>
              dashboardStore
                .getState()
                .selectOnly(
                  e.target.checked ? [...new Set([...selected, ...inView])] : ids.filter((id) => !inView.includes(id)),
                )
            }
          />
          <span className="small">Select in view</span>
        </label>
        <span className="muted small" data-testid="selected-count">
          {selected.size} selected
        </span>
        <button
          type="button"
          className="btn"
          disabled={busy || selected.size === 0}
          data-testid="bulk-cancel"
          onClick={() => void bulk('Cancelled', cancelRuns)}
        >
          Cancel
        </button>
        <button
          type="button"
          className="btn"
          disabled={busy || selected.size === 0}
          data-testid="bulk-rerun"
          onClick={() => void bulk('Rerun started', rerunRuns)}
        >
          Rerun
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={selected.size !== 2}
          data-testid="bulk-compare"
          title="Compare two runs of one graph"
          onClick={() => dashboardStore.getState().open({ kind: 'diff', a: ids[0]!, b: ids[1]! })}
        >
          Compare
        </button>
      </div>
      <Filters />
      {pages.error && <div className="field-message">{pages.error}</div>}
      <RunsTable pages={pages} onRange={onRange} resetKey={JSON.stringify(query)} />
    </div>
  );
}
