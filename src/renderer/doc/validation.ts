/**
 * Runs live validation (debounced) whenever the document's graph changes, and at once when the
 * list of saved graphs does (composition nodes may run them). The validator (the core's, with
 * ajv and JSONata) loads after the first paint: the editor is usable before it.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { SavedGraphsState } from './saved-graphs';
import type { DocState } from './store';

export function watchValidation(
  store: StoreApi<DocState>,
  delayMs = 200,
  saved?: StoreApi<SavedGraphsState>,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const issues = import('./issues');
  const run = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    void issues.then(({ computeIssues }) => {
      if (!stopped)
        store.getState().setIssues(computeIssues(store.getState().graph, { saved: saved?.getState().ids ?? null }));
    });
  };
  run();
  const off = store.subscribe((s, prev) => {
    if (s.graph === prev.graph) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, delayMs);
  });
  const offSaved = saved?.subscribe((s, prev) => {
    if (s.ids !== prev.ids) run();
  });
  return () => {
    stopped = true;
    off();
    offSaved?.();
    if (timer) clearTimeout(timer);
  };
}
