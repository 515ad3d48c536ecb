/** A list of JSON differences (path, before → after). */
import type { JSX } from 'react';
import { preview, type DiffEntry } from './json-diff';

export function JsonDiffView({
  entries,
  testId,
  labels = ['before', 'after'],
}: {
  entries: DiffEntry[];
  testId?: string;
  labels?: [string, string];
}): JSX.Element {
  if (entries.length === 0)
    return (
      <div className="muted rd-empty" data-testid={testId}>
        No differences.
      </div>
    );
  return (
    <table className="table diff-table" data-testid={testId}>
      <thead>
        <tr>
          <th>Path</th>
          <th>{labels[0]}</th>
          <th>{labels[1]}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((d) => (
          <tr key={d.path} className={`diff-${d.kind}`} data-testid="diff-entry" data-path={d.path}>
            <td className="mono small">{d.path}</td>
            <td className="mono small diff-before">{d.kind === 'added' ? '—' : preview(d.before)}</td>
            <td className="mono small diff-after">{d.kind === 'removed' ? '—' : preview(d.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
