/** The editor's dialogs: open from the database (with recent graphs), save as, run input. */
import { useEffect, useState, type JSX } from 'react';
import { hostClient } from '../api/client';
import { recentGraphs } from '../doc/files';
import { useDoc } from '../doc/store';
import { InputForm } from '../run/InputForm';
import { startRun } from '../run/RunControls';
import { ApprovalDialog, RerunDialog } from '../run/RunDialogs';
import { Modal } from '../ui/Modal';
import { uiStore, useUi } from '../ui/ui-store';
import { openGraph, saveGraphAs } from './commands';

type Listed = { graphId: string; name: string | null; version: number; updatedAt: string };

function OpenDialog({ onClose }: { onClose(): void }): JSX.Element {
  const [graphs, setGraphs] = useState<Listed[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  useEffect(() => {
    hostClient()
      .call('graphs.list', {})
      .then((r) => setGraphs(r.graphs as Listed[]))
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, []);
  const recent = recentGraphs();
  const known = new Map((graphs ?? []).map((g) => [g.graphId, g]));
  const f = filter.toLowerCase();
  const shown = (graphs ?? []).filter((g) => !f || g.graphId.includes(f) || (g.name ?? '').toLowerCase().includes(f));
  const open = async (id: string) => {
    if (await openGraph(id, known.get(id)?.version ?? null)) onClose();
  };
  return (
    <Modal title="Open graph" onClose={onClose} testId="open-dialog" wide>
      {recent.length > 0 && (
        <div className="recent">
          <div className="panel-title">Recent</div>
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
      <input
        className="input"
        placeholder="Filter graphs…"
        value={filter}
        autoFocus
        onChange={(e) => setFilter(e.target.value)}
      />
      <div className="open-list" data-testid="open-list">
        {error && <div className="field-message">{error}</div>}
        {!graphs && !error && <div className="muted">Loading…</div>}
        {graphs && shown.length === 0 && <div className="muted">No saved graphs yet. Save one with Ctrl+S.</div>}
        {shown.map((g) => (
          <button
            key={g.graphId}
            type="button"
            className="open-item"
            data-testid={`open-${g.graphId}`}
            onClick={() => void open(g.graphId)}
          >
            <span className="open-name">{g.name ?? g.graphId}</span>
            <span className="mono muted small">{g.graphId}</span>
            <span className="muted small">v{g.version}</span>
            <span className="muted small">{new Date(g.updatedAt).toLocaleString()}</span>
          </button>
        ))}
      </div>
    </Modal>
  );
}

function SaveAsDialog({ onClose }: { onClose(): void }): JSX.Element {
  const graph = useDoc((s) => s.graph);
  const [id, setId] = useState(`${graph.id}-copy`);
  const [name, setName] = useState(`${graph.name ?? graph.id} (copy)`);
  return (
    <Modal title="Save as" onClose={onClose} testId="save-as-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void saveGraphAs(id, name).then((ok) => ok && onClose());
        }}
      >
        <label className="field">
          <span className="field-label">Graph id</span>
          <input
            className="input mono"
            data-testid="save-as-id"
            value={id}
            autoFocus
            onChange={(e) => setId(e.target.value)}
          />
        </label>
        <label className="field">
          <span className="field-label">Name</span>
          <input className="input" data-testid="save-as-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="dialog-actions">
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="save-as-submit">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function Dialogs(): JSX.Element | null {
  const dialog = useUi((s) => s.dialog);
  const schema = useDoc((s) => s.graph.input);
  const close = () => uiStore.getState().open(null);
  if (!dialog) return null;
  if (dialog.kind === 'open') return <OpenDialog onClose={close} />;
  if (dialog.kind === 'save-as') return <SaveAsDialog onClose={close} />;
  if (dialog.kind === 'approval')
    return <ApprovalDialog nodeId={dialog.nodeId} approved={dialog.approved} onClose={close} />;
  if (dialog.kind === 'rerun') return <RerunDialog nodeId={dialog.nodeId} onClose={close} />;
  return (
    <Modal title="Run input" onClose={close} testId="run-input-dialog">
      <InputForm schema={schema} onRun={startRun} onCancel={close} />
    </Modal>
  );
}
