/** Runs live validation (debounced) whenever the document's graph changes. */
import type { StoreApi } from 'zustand/vanilla';
import { computeIssues } from './issues';
import type { DocState } from './store';

export function watchValidation(store: StoreApi<DocState>, delayMs = 200): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    store.getState().setIssues(computeIssues(store.getState().graph));
  };
  run();
  const off = store.subscribe((s, prev) => {
    if (s.graph === prev.graph) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, delayMs);
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
