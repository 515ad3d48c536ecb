/**
 * The `graph` field of a subgraph, map or loop node: free text (a library id, a saved graph's id
 * or ./file.json) with the graphs it may name offered as you type: the file's own library and
 * the graphs saved in this database (read again when the field is shown; live validation checks
 * the name against the same list).
 */
import { useEffect, useId, useMemo, type JSX } from 'react';
import { savedGraphs, useSavedGraphs } from '../doc/saved-graphs';
import { useDoc } from '../doc/store';
import { TextInput } from './fields';

export function GraphRefInput({
  testId,
  value,
  onChange,
}: {
  testId: string;
  value: string;
  onChange(v: string): void;
}): JSX.Element {
  const listId = useId();
  const library = useDoc((s) => s.graph.graphs);
  const self = useDoc((s) => s.graph.id);
  const saved = useSavedGraphs();
  useEffect(() => void savedGraphs().refresh(), []); // one may have been saved since the list was read
  const options = useMemo(
    () => [...new Set([...Object.keys(library ?? {}), ...(saved ?? [])])].filter((id) => id !== self),
    [library, saved, self],
  );
  return (
    <>
      <TextInput testId={testId} value={value} mono list={listId} onChange={onChange} />
      <datalist id={listId} data-testid={`${testId}-options`}>
        {options.map((id) => (
          <option key={id} value={id} />
        ))}
      </datalist>
    </>
  );
}
