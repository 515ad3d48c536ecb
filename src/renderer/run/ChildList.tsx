/**
 * A composition node's child runs in its inspector: a map's items (a loop's iterations, a
 * subgraph's child) with status, duration and tokens, filtered by status and by text (the key,
 * the child run's id, its error); a row opens that child run in the view's place.
 */
import { useMemo, useState, type JSX } from 'react';
import { fmtMs, fmtTokens } from '../ui/format';
import { StateIcon } from '../ui/icons';
import { keyLabel, type ChildItem, type ChildStatus } from './children';

/** Rows drawn at most: a filter narrows a map of thousands of items. */
export const CHILD_ROWS = 200;

const STATUSES: ChildStatus[] = ['running', 'paused', 'waiting', 'in-doubt', 'succeeded', 'failed', 'cancelled'];

/** The children a filter keeps: by status ('' = any) and by text in the key label, the run id or the error. */
export function filterChildren(
  items: readonly ChildItem[],
  type: string,
  status: ChildStatus | '',
  text: string,
): ChildItem[] {
  const t = text.trim().toLowerCase();
  return items.filter(
    (c) =>
      (status === '' || c.status === status) &&
      (t === '' ||
        keyLabel(type, c.key).includes(t) ||
        String(c.key) === t ||
        c.runId.toLowerCase().includes(t) ||
        (c.error?.message.toLowerCase().includes(t) ?? false)),
  );
}

export function ChildList({
  type,
  items,
  total,
  onOpen,
}: {
  type: string;
  items: readonly ChildItem[];
  total?: number | undefined;
  onOpen(runId: string): void;
}): JSX.Element {
  const [status, setStatus] = useState<ChildStatus | ''>('');
  const [text, setText] = useState('');
  const counts = useMemo(() => {
    const m = new Map<ChildStatus, number>();
    for (const c of items) m.set(c.status, (m.get(c.status) ?? 0) + 1);
    return m;
  }, [items]);
  const kept = useMemo(() => filterChildren(items, type, status, text), [items, type, status, text]);
  const noun = type === 'map' ? 'items' : type === 'loop' ? 'iterations' : 'children';
  return (
    <div className="child-list" data-testid="child-list">
      <div className="child-filters">
        <label className="visually-hidden" htmlFor="child-status">
          Filter {noun} by status
        </label>
        <select
          id="child-status"
          data-testid="child-status"
          value={status}
          onChange={(e) => setStatus(e.target.value as ChildStatus | '')}
        >
          <option value="">All ({items.length})</option>
          {STATUSES.filter((s) => counts.has(s)).map((s) => (
            <option key={s} value={s}>
              {s} ({counts.get(s)})
            </option>
          ))}
        </select>
        <label className="visually-hidden" htmlFor="child-text">
          Filter {noun} by text
        </label>
        <input
          id="child-text"
          type="search"
          data-testid="child-filter"
          placeholder="Filter: index, run id, error"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      <div className="muted small" data-testid="child-count">
        {kept.length !== items.length && `${kept.length} shown · `}
        {total !== undefined && total !== items.length
          ? `${items.length} of ${total} ${noun} started`
          : `${items.length} ${noun}`}
        {kept.length > CHILD_ROWS && ` · the first ${CHILD_ROWS} listed: filter to narrow`}
      </div>
      <table className="child-table">
        <thead>
          <tr>
            <th scope="col">{type === 'map' ? 'Item' : type === 'loop' ? 'Iteration' : 'Child'}</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="num">
              Tokens
            </th>
          </tr>
        </thead>
        <tbody>
          {kept.slice(0, CHILD_ROWS).map((c) => (
            <tr
              key={c.key}
              data-testid={`child-row-${c.key}`}
              data-status={c.status}
              onClick={() => onOpen(c.runId)}
              title={c.error ? `${c.error.kind}: ${c.error.message}` : c.runId}
            >
              <td>
                <button
                  type="button"
                  className="linkish"
                  onClick={(e) => {
                    e.stopPropagation();
                    onOpen(c.runId);
                  }}
                >
                  {keyLabel(type, c.key)}
                </button>
              </td>
              <td>
                <span className={`run-status status-${c.status}`}>
                  <StateIcon state={c.status} size={11} /> {c.status}
                </span>
              </td>
              <td className="num">{c.durationMs !== undefined ? fmtMs(c.durationMs) : '—'}</td>
              <td className="num">{fmtTokens(c.tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
