/**
 * Runs live validation (debounced) whenever the document's graph changes. The validator (the
 * core's, with ajv and JSONata) loads after the first paint: the editor is usable before it.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { DocState } from './store';

export function watchValidation(store: StoreApi<DocState>, delayMs = 200): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const issues = import('./issues');
  const run = () => {
    timer = undefined;
    void issues.then(({ computeIssues }) => {
      if (!stopped) store.getState().setIssues(computeIssues(store.getState().graph));
    });
  };
  run();
  const off = store.subscribe((s, prev) => {
    if (s.graph === prev.graph) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, delayMs);
  });
  return () => {
    stopped = true;
    off();
    if (timer) clearTimeout(timer);
  };
}
