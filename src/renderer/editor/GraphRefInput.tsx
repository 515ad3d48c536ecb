/**
 * The `graph` field of a subgraph, map or loop node: free text (a library id, a saved graph's id
 * or ./file.json) with the graphs it may name offered as you type: the file's own library and
 * the graphs saved in this database.
 */
import { useEffect, useId, useMemo, useState, type JSX } from 'react';
import { hostClient } from '../api/client';
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
  const [saved, setSaved] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    hostClient()
      .call('graphs.list', {})
      .then((r) => live && setSaved(r.graphs.map((g) => g.graphId)))
      .catch(() => undefined); // offered names only: typing still works
    return () => {
      live = false;
    };
  }, []);
  const options = useMemo(
    () => [...new Set([...Object.keys(library ?? {}), ...saved])].filter((id) => id !== self),
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
