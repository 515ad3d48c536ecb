/**
 * Document lifecycle outside React: live validation, the autosave draft (restored on reload),
 * the unload warning, and test hooks on `window.__statepipe`.
 */
import { serializeGraph } from '../core/graph/validate';
import { clearDraft, loadDraft, saveDraft } from './doc/files';
import { docStore } from './doc/store';
import { watchValidation } from './doc/validation';
import { openRunInStudio, watchRunHash } from './run/open-run';
import { runStore } from './run/run-store';
import { uiStore } from './ui/ui-store';

let started = false;

export function startSession(): void {
  if (started) return;
  started = true;
  const draft = loadDraft();
  if (draft) {
    docStore.getState().load(draft.graph, { dirty: true, dbVersion: draft.dbVersion });
    setTimeout(
      () => uiStore.getState().notify('info', `Restored your unsaved draft of "${draft.graph.name ?? draft.graph.id}"`),
      0,
    );
  }
  watchValidation(docStore);

  let timer: ReturnType<typeof setTimeout> | undefined;
  docStore.subscribe((s, prev) => {
    if (s.graph === prev.graph && s.dirty === prev.dirty) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const now = docStore.getState();
      if (now.dirty) saveDraft(now.graph, now.dbVersion);
      else clearDraft();
    }, 400);
  });

  window.addEventListener('beforeunload', (e) => {
    const s = docStore.getState();
    if (!s.dirty) return;
    saveDraft(s.graph, s.dbVersion);
    e.preventDefault();
    e.returnValue = '';
  });

  (window as unknown as Record<string, unknown>)['__statepipe'] = {
    documentBytes: () => serializeGraph(docStore.getState().graph),
    state: () => docStore.getState(),
    run: () => runStore.getState().view,
    openRun: (runId: string) => openRunInStudio(runId),
  };
  watchRunHash();
}
