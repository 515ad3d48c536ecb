/** Runs: a plain list of runs (the full dashboard builds on this), refreshed as events arrive. */
import { useEffect, useState, type JSX } from 'react';
import type { MethodOutput } from '../../contract/api';
import { hostClient } from '../api/client';
import { StateIcon } from '../ui/icons';

type Run = MethodOutput<'runs.list'>['runs'][number];

const fmtMs = (ms: number | null) => (ms === null ? '—' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

export function RunsView(): JSX.Element {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const c = hostClient();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      c
        .call('runs.list', { limit: 200 })
        .then((r) => setRuns(r.runs))
        .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    void load();
    const off = c.onEvents(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void load();
      }, 300);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, []);
  return (
    <div className="page page-wide">
      <h2 className="page-title">Runs</h2>
      {error && <div className="field-message">{error}</div>}
      <div className="card card-flush">
        <table className="table" data-testid="runs-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Run</th>
              <th>Graph</th>
              <th>Started</th>
              <th className="num">Duration</th>
              <th className="num">Tokens</th>
              <th className="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {runs?.map((r) => (
              <tr key={r.runId} data-testid={`run-row-${r.runId}`}>
                <td>
                  <span className={`run-status status-${r.status}`}>
                    <StateIcon state={r.status} size={12} /> {r.status}
                  </span>
                </td>
                <td className="mono small">{r.runId}</td>
                <td>{r.graphId}</td>
                <td>{r.startedAt ? new Date(r.startedAt).toLocaleString() : '—'}</td>
                <td className="num">{fmtMs(r.durationMs)}</td>
                <td className="num">{r.tokens}</td>
                <td className="num">${r.costUsd.toFixed(4)}</td>
              </tr>
            ))}
            {runs?.length === 0 && (
              <tr>
                <td colSpan={7} className="muted empty-row">
                  No runs yet. Press Run in the editor, or run a graph from the CLI on this database.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
