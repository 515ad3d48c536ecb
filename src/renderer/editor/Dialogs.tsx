/** The editor's dialogs: open a saved graph (with recent graphs), save (a name and an id), run input. */
import { useEffect, useState, type JSX } from 'react';
import type { MethodOutput } from '../../contract/api';
import { hostClient } from '../api/client';
import { openGraph, saveGraphAs } from '../doc/commands';
import { recentGraphs } from '../doc/files';
import { useDoc } from '../doc/store';
import { InputForm } from '../run/InputForm';
import { fmtTime } from '../ui/format';
import { listKey } from '../ui/list-nav';
import { DialogActions, Modal } from '../ui/Modal';
import { uiStore, useUi } from '../ui/ui-store';
import { startRun } from './RunButton';
import { idFromName, NameIdFields, useNameId } from './NameIdFields';
import { SubgraphDialog } from './SubgraphDialog';

type Listed = MethodOutput<'graphs.list'>['graphs'][number];

function OpenDialog({ onClose }: { onClose(): void }): JSX.Element {
  const [graphs, setGraphs] = useState<Listed[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  /** The row the arrows highlight (an index into `shown`; -1: none). */
  const [active, setActive] = useState(-1);
  useEffect(() => {
    hostClient()
      .call('graphs.list', {})
      .then((r) => setGraphs(r.graphs))
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, []);
  const saved = new Set((graphs ?? []).map((g) => g.graphId));
  const recent = recentGraphs().filter((r) => graphs === null || saved.has(r.graphId));
  const f = filter.toLowerCase();
  const shown = (graphs ?? []).filter((g) => !f || g.graphId.includes(f) || (g.name ?? '').toLowerCase().includes(f));
  const open = async (id: string) => {
    if (await openGraph(id)) onClose();
  };
  const activeId = shown[active] ? `open-option-${shown[active].graphId}` : undefined;
  useEffect(() => {
    if (activeId) document.getElementById(activeId)?.scrollIntoView({ block: 'nearest' });
  }, [activeId]);
  return (
    <Modal title="Open graph" onClose={onClose} testId="open-dialog" wide>
      {recent.length > 0 && (
        <div className="recent">
          <h3 className="panel-title">Recent</h3>
          <div className="recent-list">
            {recent.map((r) => (
              <button
                key={r.graphId}
                type="button"
                className="recent-item"
                data-testid={`recent-${r.graphId}`}
                onClick={() => void open(r.graphId)}
              >
                <span className="recent-name">{r.name}</span>
                <span className="mono muted small">{r.graphId}</span>
              </button>
            ))}
          </div>
        </div>
      )}
      {/* A combobox: focus stays in the filter, ArrowDown/ArrowUp highlight a graph below
          (aria-activedescendant), Enter opens the highlighted one, or the only one left. */}
      <input
        className="input"
        placeholder="Filter graphs…"
        aria-label="Filter graphs"
        data-testid="open-filter"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown.length > 0}
        aria-controls="open-options"
        aria-activedescendant={activeId}
        value={filter}
        autoFocus
        onChange={(e) => {
          setFilter(e.target.value);
          setActive(-1);
        }}
        onKeyDown={(e) => {
          const r = listKey(e.key, active, shown.length);
          if (!r) return;
          e.preventDefault();
          if ('pick' in r) void open(shown[r.pick]!.graphId);
          else setActive(r.active);
        }}
      />
      <div className="open-list" data-testid="open-list">
        {error && <div className="field-message">{error}</div>}
        {!graphs && !error && <div className="muted">Loading…</div>}
        {graphs && shown.length === 0 && <div className="muted">No saved graphs yet. Save one with Ctrl+S.</div>}
        {shown.length > 0 && (
          <div className="open-options" role="listbox" id="open-options" aria-label="Saved graphs">
            {shown.map((g, i) => (
              <button
                key={g.graphId}
                type="button"
                role="option"
                id={`open-option-${g.graphId}`}
                aria-selected={i === active}
                tabIndex={-1}
                className="open-item"
                data-testid={`open-${g.graphId}`}
                onClick={() => void open(g.graphId)}
              >
                <span className="open-name">{g.name ?? g.graphId}</span>
                <span className="mono muted small">{g.graphId}</span>
                <span className="muted small" data-testid={`open-version-${g.graphId}`}>
                  v{g.version}
                </span>
                <span className="muted small">{fmtTime(g.updatedAt)}</span>
              </button>
            ))}
          </div>
        )}
      </div>
    </Modal>
  );
}

/**
 * Save: the first save of a document asks for its name (the id follows the name until edited);
 * "Save as" names a copy. An id a saved graph already has is refused until the person confirms
 * saving over it (it becomes that graph's next version).
 */
function SaveDialog({ first, onClose }: { first: boolean; onClose(): void }): JSX.Element {
  const graph = useDoc((s) => s.graph);
  const initialName = first ? (graph.name ?? '') : `${graph.name ?? graph.id} (copy)`;
  const name0 = initialName === 'Untitled graph' ? '' : initialName;
  const [taken, setTaken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const f = useNameId(
    {
      name: name0,
      id: first ? (graph.id === 'untitled' ? idFromName(name0) : graph.id) : `${graph.id}-copy`,
      idEdited: first && graph.id !== 'untitled',
    },
    () => setTaken(null),
  );
  const { name, id, idProblem } = f;
  const submit = async (overwrite: boolean) => {
    setBusy(true);
    setError(null);
    const r = await saveGraphAs(id, name.trim(), overwrite);
    setBusy(false);
    if (r.ok) return onClose();
    if (r.taken) setTaken(r.taken);
    else if (r.error) setError(r.error);
  };
  return (
    <Modal title={first ? 'Save graph' : 'Save as'} onClose={onClose} testId="save-as-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit(false);
        }}
      >
        <NameIdFields f={f} testId="save-as" idHint="from the name; runs and files use it" />
        {taken && (
          <div className="rd-notice" role="alert" data-testid="save-as-taken">
            <span>{taken}.</span>
            <button
              type="button"
              className="btn btn-danger btn-sm"
              data-testid="save-as-overwrite"
              disabled={busy}
              onClick={() => void submit(true)}
            >
              Save over it (a new version of {id})
            </button>
          </div>
        )}
        {error && <div className="field-message">{error}</div>}
        <DialogActions onCancel={onClose}>
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="save-as-submit"
            disabled={busy || !id || !name.trim() || idProblem !== null}
          >
            Save
          </button>
        </DialogActions>
      </form>
    </Modal>
  );
}

export function Dialogs(): JSX.Element | null {
  const dialog = useUi((s) => s.dialog);
  const graph = useDoc((s) => s.graph);
  const warnings = useDoc((s) => s.issues.warnings);
  const close = () => uiStore.getState().open(null);
  if (!dialog) return null;
  if (dialog.kind === 'open') return <OpenDialog onClose={close} />;
  if (dialog.kind === 'save-as') return <SaveDialog first={dialog.first ?? false} onClose={close} />;
  if (dialog.kind === 'subgraph') return <SubgraphDialog onClose={close} />;
  const optional: Record<string, string[]> = {};
  for (const w of warnings) if (w.prop && w.nodeId) (optional[w.prop] ??= []).push(w.nodeId);
  return (
    <Modal title="Run input" onClose={close} testId="run-input-dialog">
      <InputForm schema={graph.input} optionalReads={optional} onRun={startRun} onCancel={close} />
    </Modal>
  );
}
