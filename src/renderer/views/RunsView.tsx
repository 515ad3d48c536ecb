/** Runs: the dashboard, one run's detail, or the diff of two runs (the dashboard store says which). */
import type { JSX } from 'react';
import { Dashboard } from '../dashboard/Dashboard';
import { useDashboard } from '../dashboard/dashboard-store';
import { RunDetail } from '../run-detail/RunDetail';
import { RunDiff } from '../run-detail/RunDiff';

export function RunsView(): JSX.Element {
  const page = useDashboard((s) => s.page);
  if (page.kind === 'detail') return <RunDetail key={page.runId} runId={page.runId} />;
  if (page.kind === 'diff') return <RunDiff key={`${page.a}:${page.b}`} a={page.a} b={page.b} />;
  return <Dashboard />;
}
