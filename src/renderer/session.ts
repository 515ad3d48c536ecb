/**
 * Document lifecycle outside React: live validation, the autosave draft (restored on reload),
 * the unload warning, links to runs (`#run=<id>` opens that run; the address shows the run on
 * screen, so it can be copied), and the hooks the benchmarks use on `window.__statepipe`.
 */
import { serializeGraph } from '../core/graph/serialize';
import { hostClient } from './api/client';
import { checkServer, saveConnection, type RemoteServer } from './api/connection';
import { dashboardStore } from './dashboard/dashboard-store';
import { clearDraft, loadDraft, saveDraft } from './doc/files';
import { docStore } from './doc/store';
import { savedGraphs } from './doc/saved-graphs';
import { watchValidation } from './doc/validation';
import { uiStore } from './ui/ui-store';

let started = false;
/** Set while the studio reloads itself onto another host: the draft is saved, no "leave?" prompt. */
let switching = false;

const RUN_LINK = /^#run=(run_[0-9A-Z]{26})$/;

/** The run on screen, if any: the editor's run view or the Runs tab's. */
function visibleRun(): string | null {
  const ui = uiStore.getState();
  if (ui.view === 'editor' && ui.pane.kind === 'run') return ui.pane.runId;
  const page = dashboardStore.getState().page;
  if (ui.view === 'runs' && page.kind === 'detail') return page.runId;
  return null;
}

/** Opens a run from a link: the Runs tab shows it. */
export function openRunLink(runId: string): void {
  dashboardStore.getState().open({ kind: 'detail', runId });
  uiStore.getState().setView('runs');
}

function watchRunLinks(): void {
  const follow = () => {
    const m = RUN_LINK.exec(location.hash);
    if (m && visibleRun() !== m[1]) openRunLink(m[1]!);
  };
  window.addEventListener('hashchange', follow);
  follow();
  // The address names the run on screen (replaceState: no hashchange, no history entry).
  const write = () => {
    const id = visibleRun();
    const want = id ? `#run=${id}` : '';
    if (location.hash !== want) history.replaceState(null, '', `${location.pathname}${location.search}${want}`);
  };
  uiStore.subscribe(write);
  dashboardStore.subscribe(write);
}

/**
 * Connects the studio to `remote` (null: this computer). Every view reads from the new host, so
 * the page starts again on it; the unsaved editor document is kept as the draft and restored.
 */
export function switchConnection(remote: RemoteServer | null): void {
  const s = docStore.getState();
  if (s.dirty) saveDraft(s.graph, s.dbVersion, s.savedId);
  saveConnection(remote);
  switching = true;
  location.reload();
}

/**
 * On another server whose socket does not open (stopped, or restarted with a new token), the
 * studio says why, once per outage, and where to change it.
 */
function explainRemoteOutage(): void {
  const c = hostClient();
  const remote = c.remote;
  if (!remote) return;
  let told = false;
  c.onConnection((state) => {
    if (state === 'open') told = false;
    if (state !== 'closed' || told) return;
    told = true;
    void checkServer(remote, c.host === 'web' ? location.origin : null).then((problem) => {
      if (problem) uiStore.getState().notify('error', `${problem} (Settings → Connection changes the server)`);
    });
  });
}

export function startSession(): void {
  if (started) return;
  started = true;
  explainRemoteOutage();
  const draft = loadDraft();
  if (draft) {
    docStore.getState().load(draft.graph, { dirty: true, dbVersion: draft.dbVersion, savedId: draft.savedId });
    setTimeout(
      () => uiStore.getState().notify('info', `Restored your unsaved draft of "${draft.graph.name ?? draft.graph.id}"`),
      0,
    );
  }
  // The validator loads a frame after the first paint: the editor is usable before it. It checks
  // composition nodes against the saved graphs too, read whenever the host may have new ones.
  const saved = savedGraphs();
  requestAnimationFrame(() => setTimeout(() => watchValidation(docStore, undefined, saved.store), 0));
  hostClient().onConnection((state) => {
    if (state === 'open') void saved.refresh();
  });
  window.addEventListener('focus', () => void saved.refresh());

  let timer: ReturnType<typeof setTimeout> | undefined;
  docStore.subscribe((s, prev) => {
    if (s.graph === prev.graph && s.dirty === prev.dirty) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const now = docStore.getState();
      if (now.dirty) saveDraft(now.graph, now.dbVersion, now.savedId);
      else clearDraft();
    }, 400);
  });

  window.addEventListener('beforeunload', (e) => {
    const s = docStore.getState();
    if (!s.dirty || switching) return;
    saveDraft(s.graph, s.dbVersion, s.savedId);
    e.preventDefault();
    e.returnValue = '';
  });

  // For `npm run bench` (never for tests of what a person does): read the document, open and read a run.
  (window as unknown as Record<string, unknown>)['__statepipe'] = {
    documentBytes: () => serializeGraph(docStore.getState().graph),
    openRun: (runId: string) => openRunLink(runId),
    run: async () => (await import('./run/session')).latestSession()?.getState().live ?? null,
  };
  watchRunLinks();
}
