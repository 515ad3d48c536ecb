/** The dashboard's filter bar: status chips, graph, date range, free text (debounced). */
import { useEffect, useState, type JSX } from 'react';
import { hostClient } from '../api/client';
import { StateIcon } from '../ui/icons';
import { EMPTY_FILTERS, RUN_STATUSES, dashboardStore, useDashboard } from './dashboard-store';

/** The two ends of the created-at range, each a date input. */
const DATE_FIELDS = [
  ['from', 'From'],
  ['to', 'To'],
] as const;

function useGraphIds(): string[] {
  const [ids, setIds] = useState<string[]>([]);
  useEffect(() => {
    hostClient()
      .call('graphs.list', { includeDrafts: true })
      .then((r) => setIds(r.graphs.map((g) => g.graphId).sort()))
      .catch(() => undefined);
  }, []);
  return ids;
}

export function Filters(): JSX.Element {
  const f = useDashboard((s) => s.filters);
  const graphs = useGraphIds();
  const [text, setText] = useState(f.text);
  useEffect(() => {
    if (text === dashboardStore.getState().filters.text) return;
    const t = setTimeout(() => dashboardStore.getState().setFilters({ text }), 250);
    return () => clearTimeout(t);
  }, [text]);
  const set = dashboardStore.getState().setFilters;
  const active = f.statuses.length > 0 || f.graphId !== '' || f.text !== '' || f.from !== '' || f.to !== '';
  return (
    <div className="runs-filters" data-testid="runs-filters">
      <div className="status-chips" role="group" aria-label="Status">
        {RUN_STATUSES.map((s) => {
          const on = f.statuses.includes(s);
          return (
            <button
              key={s}
              type="button"
              className={`status-chip status-${s}${on ? ' is-on' : ''}`}
              aria-pressed={on}
              data-testid={`filter-status-${s}`}
              onClick={() => set({ statuses: on ? f.statuses.filter((x) => x !== s) : [...f.statuses, s] })}
            >
              <StateIcon state={s} size={11} /> {s}
            </button>
          );
        })}
      </div>
      <div className="runs-filter-row">
        <input
          className="input runs-search"
          type="search"
          placeholder="Search ids, inputs, outputs, errors…"
          value={text}
          data-testid="filter-text"
          onChange={(e) => setText(e.target.value)}
        />
        <select
          className="input select"
          value={f.graphId}
          data-testid="filter-graph"
          onChange={(e) => set({ graphId: e.target.value })}
          aria-label="Graph"
        >
          <option value="">All graphs</option>
          {[...new Set([...graphs, ...(f.graphId ? [f.graphId] : [])])].map((g) => (
            <option key={g} value={g}>
              {g}
            </option>
          ))}
        </select>
        {DATE_FIELDS.map(([key, label]) => (
          <label className="date-field" key={key}>
            <span className="muted small">{label}</span>
            <input
              className="input"
              type="date"
              value={f[key]}
              data-testid={`filter-${key}`}
              onChange={(e) => set({ [key]: e.target.value })}
            />
          </label>
        ))}
        <button
          type="button"
          className="btn btn-ghost"
          disabled={!active}
          data-testid="filter-clear"
          onClick={() => {
            setText('');
            set(EMPTY_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
    </div>
  );
}
