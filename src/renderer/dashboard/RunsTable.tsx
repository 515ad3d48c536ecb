/** The runs table: sortable header, virtualized rows with checkboxes; a row opens its run. */
import { memo, type JSX } from 'react';
import { StateIcon } from '../ui/icons';
import { dashboardStore, isFiltered, useDashboard, type SortKey } from './dashboard-store';
import { fmtCost, fmtMs, fmtTime, fmtTokens } from '../ui/format';
import type { RunPages, RunRow } from './run-pages';
import { VirtualList } from './VirtualList';

export const ROW_HEIGHT = 38;

const COLUMNS: { key: SortKey; label: string; num?: boolean }[] = [
  { key: 'status', label: 'Status' },
  { key: 'created', label: 'Run' },
  { key: 'graph', label: 'Graph' },
  { key: 'started', label: 'Started' },
  { key: 'duration', label: 'Duration', num: true },
  { key: 'tokens', label: 'Tokens', num: true },
  { key: 'cost', label: 'Cost', num: true },
];

const ACTIVE = ['queued', 'running', 'waiting', 'paused', 'interrupted'] as const;

/**
 * A run's child runs at a glance, short enough for its column at any width: `30 · 28 ✓ 2 ✗` (and
 * those still going, or cancelled); the column is named Children, the tooltip says it in words.
 */
export function childCounts(children: RunRow['children']): { text: string; title: string } | null {
  if (!children) return null;
  const n = (k: keyof NonNullable<RunRow['children']>) => children[k] ?? 0;
  const total = Object.values(children).reduce((a, b) => a + (b ?? 0), 0);
  if (total === 0) return null;
  const active = ACTIVE.reduce((a, k) => a + n(k), 0);
  const parts = [`${n('succeeded')} ✓`, `${n('failed')} ✗`];
  if (active) parts.push(`${active} going`);
  if (n('cancelled')) parts.push(`${n('cancelled')} cancelled`);
  const words = Object.entries(children)
    .filter(([, v]) => v)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return { text: `${total} · ${parts.join(' ')}`, title: `${total} child run${total === 1 ? '' : 's'}: ${words}` };
}

const Row = memo(function Row({ run, top, checked }: { run: RunRow; top: number; checked: boolean }): JSX.Element {
  return (
    <div
      className={`runs-row${checked ? ' is-checked' : ''}`}
      role="row"
      style={{ top }}
      data-testid={`run-row-${run.runId}`}
      data-status={run.status}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('.runs-check')) return;
        dashboardStore.getState().open({ kind: 'detail', runId: run.runId });
      }}
    >
      <div className="runs-cell runs-check" role="cell" onClick={(e) => e.stopPropagation()}>
        <input
          type="checkbox"
          data-testid={`select-${run.runId}`}
          checked={checked}
          onChange={(e) => dashboardStore.getState().toggle(run.runId, e.target.checked)}
          aria-label={`select ${run.runId}`}
        />
      </div>
      <div className="runs-cell" role="cell">
        <span className={`run-status status-${run.status}`}>
          <StateIcon state={run.status} size={12} /> {run.status}
        </span>
      </div>
      <div className="runs-cell mono small ellipsis" role="cell" title={run.runId}>
        {run.runId}
      </div>
      <div
        className="runs-cell ellipsis"
        role="cell"
        title={run.draft ? `${run.graphId}: unsaved edits (a draft run)` : `${run.graphId} v${run.graphVersion}`}
      >
        {run.graphId}{' '}
        {/* A draft run ran unsaved edits: no version a person saved, whatever number its snapshot got. */}
        {run.draft ? (
          <span className="chip" data-testid={`run-version-${run.runId}`} data-draft="true">
            draft
          </span>
        ) : (
          <span className="muted small" data-testid={`run-version-${run.runId}`}>
            v{run.graphVersion}
          </span>
        )}
      </div>
      <ChildrenCell run={run} />
      <div className="runs-cell" role="cell" title={run.startedAt ?? run.createdAt}>
        {fmtTime(run.startedAt ?? run.createdAt)}
      </div>
      <div className="runs-cell num" role="cell">
        {fmtMs(run.durationMs)}
      </div>
      <div className="runs-cell num" role="cell" data-col="tokens">
        {fmtTokens(run.tokens)}
      </div>
      <div className="runs-cell num" role="cell" data-col="cost">
        {fmtCost(run.costUsd)}
      </div>
    </div>
  );
});

function ChildrenCell({ run }: { run: RunRow }): JSX.Element {
  const c = childCounts(run.children);
  // A child run (listed when its graph is chosen): whose it is.
  const of = !c && run.parent ? `child of ${run.parent.runId} (${run.parent.nodeId})` : undefined;
  return (
    <div className="runs-cell small ellipsis" role="cell" data-col="children" title={c?.title ?? of}>
      {c ? (
        c.text
      ) : of ? (
        <span className="muted">child of {run.parent!.nodeId}</span>
      ) : (
        <span className="muted">—</span>
      )}
    </div>
  );
}

function Placeholder({ top }: { top: number }): JSX.Element {
  return (
    <div className="runs-row is-loading" role="row" style={{ top }} data-testid="run-row-loading">
      <div className="runs-cell runs-skeleton" />
    </div>
  );
}

export function RunsTable({
  pages,
  onRange,
  resetKey,
}: {
  pages: RunPages;
  onRange(first: number, last: number): void;
  resetKey: string;
}): JSX.Element {
  const sort = useDashboard((s) => s.sort);
  const order = useDashboard((s) => s.order);
  const selected = useDashboard((s) => s.selected);
  const filtered = useDashboard((s) => isFiltered(s.filters));
  const count = pages.total ?? 0;
  return (
    <div
      className="runs-table"
      role="table"
      data-testid="runs-table"
      data-total={pages.total ?? ''}
      aria-rowcount={count}
    >
      <div className="runs-row runs-head" role="row">
        <div className="runs-cell runs-check" role="columnheader">
          <span className="visually-hidden">Select</span>
        </div>
        {COLUMNS.map((c) => [
          c.key === 'started' && (
            <div
              key="children"
              className="runs-cell runs-label"
              role="columnheader"
              title="Child runs (subgraph, map, loop nodes)"
            >
              Children
            </div>
          ),
          <button
            key={c.key}
            type="button"
            role="columnheader"
            className={`runs-cell runs-sort${c.num ? ' num' : ''}${sort === c.key ? ' is-sorted' : ''}`}
            data-testid={`sort-${c.key}`}
            aria-sort={sort === c.key ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}
            onClick={() => dashboardStore.getState().setSort(c.key)}
          >
            {c.label}
            <span className="sort-mark">{sort === c.key ? (order === 'asc' ? '▲' : '▼') : ''}</span>
          </button>,
        ])}
      </div>
      {pages.total === 0 ? (
        <div className="runs-empty muted" data-testid="runs-empty">
          {filtered
            ? 'No runs match these filters.'
            : 'No runs yet. Press Run in the editor, or run a graph from the CLI on this database.'}
        </div>
      ) : (
        <VirtualList
          className="runs-body"
          testId="runs-scroller"
          count={count}
          rowHeight={ROW_HEIGHT}
          resetKey={resetKey}
          onRange={onRange}
          renderRow={(i, top) => {
            const run = pages.rowAt(i);
            return run ? (
              <Row key={run.runId} run={run} top={top} checked={selected.has(run.runId)} />
            ) : (
              <Placeholder key={`p${i}`} top={top} />
            );
          }}
        />
      )}
    </div>
  );
}
