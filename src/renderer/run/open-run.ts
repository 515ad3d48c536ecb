/**
 * Opening a run by id on the canvas (run mode, read-only, followed live): from the Runs view
 * (call `openRunInStudio(runId)`), a link `#run=<runId>`, or `window.__statepipe.openRun`.
 */
import { hostClient } from '../api/client';
import { uiStore } from '../ui/ui-store';
import { runStore } from './run-store';

export async function openRunInStudio(runId: string): Promise<void> {
  uiStore.getState().setView('editor');
  try {
    await runStore.getState().open(hostClient(), runId);
  } catch (err) {
    uiStore
      .getState()
      .notify('error', `Could not open run ${runId}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Follows `#run=<runId>` in the address (on load and when it changes). */
export function watchRunHash(): void {
  const check = () => {
    const m = /^#run=(run_[0-9A-Z]{26})$/.exec(location.hash);
    if (m && runStore.getState().view?.runId !== m[1]) void openRunInStudio(m[1]!);
  };
  window.addEventListener('hashchange', check);
  check();
}
