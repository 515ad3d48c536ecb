/**
 * "Create subgraph from selection" in the editor: the command (toolbar button, Ctrl+G, the
 * canvas's context menu) asks for a name, saves the selected nodes as a graph of their own, and
 * replaces them in the document by a `subgraph` node wired the same way, in ONE undo step
 * (doc/subgraph-from-selection.ts). Undo puts the nodes back; the saved graph stays.
 */
import { useState, type JSX } from 'react';
import { ApiCallError, hostClient } from '../api/client';
import { savedGraphs } from '../doc/saved-graphs';
import { docStore, useDoc } from '../doc/store';
import { subgraphFromSelection } from '../doc/subgraph-from-selection';
import { Icon } from '../ui/icons';
import { DialogActions, Modal } from '../ui/Modal';
import { uiStore } from '../ui/ui-store';
import { NameIdFields, useNameId } from './NameIdFields';

/** Opens the dialog, or says why the selection cannot be a subgraph. */
export function askSubgraph(): void {
  const s = docStore.getState();
  try {
    subgraphFromSelection(s.graph, s.selectedNodes, { graphId: 'check', name: 'check' });
    uiStore.getState().open({ kind: 'subgraph' });
  } catch (err) {
    uiStore.getState().notify('error', err instanceof Error ? err.message : String(err));
  }
}

/** Saves the new graph (refused when its id is taken), then rewires the document in one undo step. */
async function createSubgraph(graphId: string, name: string): Promise<string | null> {
  const s = docStore.getState();
  let x;
  try {
    x = subgraphFromSelection(s.graph, s.selectedNodes, { graphId, name });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  try {
    await hostClient().call('graphs.save', { graph: x.child, create: true });
    savedGraphs().noteSaved(graphId); // before the subgraph node names it: no moment of "not found"
  } catch (err) {
    if (err instanceof ApiCallError && err.code === 'conflict')
      return `A saved graph already has the id "${graphId}": choose another name or id.`;
    return err instanceof Error ? err.message : String(err);
  }
  const now = docStore.getState();
  const moved = s.selectedNodes.length;
  now.apply(x.changes);
  now.select([x.node.id], []);
  uiStore
    .getState()
    .notify(
      'success',
      `Saved the ${moved} selected node${moved === 1 ? '' : 's'} as graph "${graphId}" and put subgraph node ${x.node.id} in their place. Undo puts them back; the saved graph stays.`,
    );
  return null;
}

export function SubgraphDialog({ onClose }: { onClose(): void }): JSX.Element {
  const count = useDoc((s) => s.selectedNodes.length);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const f = useNameId({ name: '', id: '', idEdited: false }, () => setError(null));
  const { name, id, idProblem } = f;
  const submit = async () => {
    setBusy(true);
    const problem = await createSubgraph(id, name.trim());
    setBusy(false);
    if (problem) setError(problem);
    else onClose();
  };
  return (
    <Modal title="Create subgraph from selection" onClose={onClose} testId="subgraph-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p className="muted small">
          The {count} selected {count === 1 ? 'node becomes' : 'nodes become'} a saved graph; a subgraph node runs it in
          their place, wired the same way.
        </p>
        <NameIdFields f={f} testId="subgraph" idHint="from the name" />
        {error && (
          <div className="field-message" role="alert" data-testid="subgraph-error">
            {error}
          </div>
        )}
        <DialogActions onCancel={onClose}>
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="subgraph-submit"
            disabled={busy || !id || !name.trim() || idProblem !== null}
          >
            <Icon name="check" size={13} /> Create subgraph
          </button>
        </DialogActions>
      </form>
    </Modal>
  );
}

/** The canvas's context menu on a selection: where a right-click was. */
export function SelectionMenu({ at, onClose }: { at: { x: number; y: number }; onClose(): void }): JSX.Element {
  return (
    <div
      className="ctx-menu"
      role="menu"
      aria-label="Selection"
      style={{ left: at.x, top: at.y }}
      data-testid="canvas-menu"
      onMouseLeave={onClose}
    >
      <button
        type="button"
        role="menuitem"
        className="ctx-item"
        data-testid="menu-make-subgraph"
        autoFocus
        onClick={() => {
          onClose();
          askSubgraph();
        }}
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
      >
        Create subgraph from selection <kbd>Ctrl+G</kbd>
      </button>
    </div>
  );
}
