/** Runs: the dashboard, a run (the one run view), or the diff of two runs (the dashboard store says which). */
import { useCallback, type JSX } from 'react';
import { Dashboard } from '../dashboard/Dashboard';
import { dashboardStore, useDashboard } from '../dashboard/dashboard-store';
import { RunDiff } from '../run/RunDiff';
import { RunView, type OpenRunOptions } from '../run/RunView';

const toList = () => dashboardStore.getState().open({ kind: 'list' });
const toRun = (runId: string, opts: OpenRunOptions = {}) =>
  dashboardStore.getState().open({ kind: 'detail', runId, ...(opts.select ? { select: opts.select } : {}) });

export function RunsView(): JSX.Element {
  const page = useDashboard((s) => s.page);
  const openRun = useCallback(toRun, []);
  if (page.kind === 'detail')
    return (
      <RunView
        key={page.runId}
        runId={page.runId}
        select={page.select}
        back={{ label: 'Runs', onClick: toList }}
        openRun={openRun}
      />
    );
  if (page.kind === 'diff')
    return <RunDiff key={`${page.a}:${page.b}`} a={page.a} b={page.b} onBack={toList} onOpenRun={toRun} />;
  return <Dashboard />;
}
