/** A graph's name and id, as the save and the subgraph dialogs ask for them: the id follows the name until edited. */
import { useState, type JSX } from 'react';
import { GRAPH_ID_RE } from '../../core/graph/schema';

/** An id from a name: lower case, runs of other characters as one dash. */
export const idFromName = (name: string): string =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 64);

export interface NameId {
  name: string;
  id: string;
  /** What is wrong with the id, if anything. */
  idProblem: string | null;
  setName(name: string): void;
  setId(id: string): void;
}

/** The fields' state; `onChange` runs on every edit (to clear an earlier refusal). */
export function useNameId(initial: { name: string; id: string; idEdited: boolean }, onChange: () => void): NameId {
  const [name, setNameState] = useState(initial.name);
  const [id, setIdState] = useState(initial.id);
  const [idEdited, setIdEdited] = useState(initial.idEdited);
  return {
    name,
    id,
    idProblem: id && !GRAPH_ID_RE.test(id) ? 'a-z, 0-9, _ and -, starting with a letter or digit' : null,
    setName(v) {
      setNameState(v);
      onChange();
      if (!idEdited) setIdState(idFromName(v));
    },
    setId(v) {
      setIdState(v);
      setIdEdited(true);
      onChange();
    },
  };
}

export function NameIdFields({ f, testId, idHint }: { f: NameId; testId: string; idHint: string }): JSX.Element {
  return (
    <>
      <label className="field">
        <span className="field-label">Name</span>
        <input
          className="input"
          data-testid={`${testId}-name`}
          value={f.name}
          autoFocus
          required
          onChange={(e) => f.setName(e.target.value)}
        />
      </label>
      <label className="field">
        <span className="field-label">
          Graph id <span className="field-hint">{idHint}</span>
        </span>
        <input
          className={`input mono${f.idProblem ? ' input-invalid' : ''}`}
          data-testid={`${testId}-id`}
          value={f.id}
          aria-invalid={f.idProblem ? true : undefined}
          onChange={(e) => f.setId(e.target.value)}
        />
        {f.idProblem && <span className="field-message">{f.idProblem}</span>}
      </label>
    </>
  );
}
