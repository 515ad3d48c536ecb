/**
 * A small collapsible JSON tree (memoized per value: an unchanged subtree never re-renders).
 * Objects and arrays open to `depth` levels; long collections show their first items and a
 * "show more" button; long strings are clipped with a toggle. Reusable by any view.
 */
import { memo, useState, type JSX } from 'react';

const PAGE = 100;
const LONG = 400;

function Scalar({ value }: { value: unknown }): JSX.Element {
  const [full, setFull] = useState(false);
  if (value === null) return <span className="jt-null">null</span>;
  if (value === undefined) return <span className="jt-null">undefined</span>;
  if (typeof value === 'string') {
    const long = value.length > LONG;
    return (
      <span className="jt-string">
        "{long && !full ? `${value.slice(0, LONG)}…` : value}"
        {long && (
          <button type="button" className="jt-more" onClick={() => setFull(!full)}>
            {full ? 'less' : `${value.length} chars`}
          </button>
        )}
      </span>
    );
  }
  if (typeof value === 'number') return <span className="jt-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="jt-bool">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

const JsonNode = memo(function JsonNode({
  name,
  value,
  depth,
  level,
}: {
  name?: string;
  value: unknown;
  depth: number;
  level: number;
}): JSX.Element {
  const composite = value !== null && typeof value === 'object';
  const [open, setOpen] = useState(level < depth);
  const [shown, setShown] = useState(PAGE);
  const label = name !== undefined && <span className="jt-key">{name}: </span>;
  if (!composite) {
    return (
      <div className="jt-row">
        {label}
        <Scalar value={value} />
      </div>
    );
  }
  const isArray = Array.isArray(value);
  const entries: [string, unknown][] = isArray
    ? (value as unknown[]).map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const [l, r] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) {
    return (
      <div className="jt-row">
        {label}
        <span className="jt-punct">
          {l}
          {r}
        </span>
      </div>
    );
  }
  return (
    <div className="jt-node">
      <button type="button" className="jt-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className={`jt-caret${open ? ' is-open' : ''}`}>▸</span>
        {label}
        <span className="jt-punct">{l}</span>
        {!open && (
          <span className="jt-summary">
            {entries.length}{' '}
            {isArray ? (entries.length === 1 ? 'item' : 'items') : entries.length === 1 ? 'key' : 'keys'} {r}
          </span>
        )}
      </button>
      {open && (
        <div className="jt-children">
          {entries.slice(0, shown).map(([k, v]) => (
            <JsonNode key={k} name={k} value={v} depth={depth} level={level + 1} />
          ))}
          {entries.length > shown && (
            <button type="button" className="jt-more" onClick={() => setShown(shown + PAGE)}>
              show {Math.min(PAGE, entries.length - shown)} more of {entries.length - shown}
            </button>
          )}
          <div className="jt-punct">{r}</div>
        </div>
      )}
    </div>
  );
});

export const JsonTree = memo(function JsonTree({
  value,
  depth = 2,
  testId,
}: {
  value: unknown;
  depth?: number;
  testId?: string;
}): JSX.Element {
  return (
    <div className="json-tree mono" data-testid={testId}>
      <JsonNode value={value} depth={depth} level={0} />
    </div>
  );
});
