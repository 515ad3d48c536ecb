/** Document commands (the editor's toolbar, the keyboard, the desktop menu and the run view call these). */
import type { Graph } from '../../core/graph/schema';
import { GRAPH_ID_RE } from '../../core/graph/schema';
import { ApiCallError, hostClient } from '../api/client';
import { uiStore } from '../ui/ui-store';
import { emptyGraph } from './defaults';
import { clearDraft, downloadGraph, isYamlName, readGraphText, readYamlGraph, rememberRecent } from './files';
import { autoLayout } from './layout';
import { savedGraphs } from './saved-graphs';
import { docStore } from './store';

const notify = (...a: Parameters<ReturnType<typeof uiStore.getState>['notify']>) => uiStore.getState().notify(...a);
const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Asks before the open document's unsaved changes would be replaced. */
export function confirmDiscard(action: string): boolean {
  if (!docStore.getState().dirty) return true;
  return window.confirm(`The graph has unsaved changes. ${action} anyway and lose them?`);
}

/**
 * Loads a document into the editor (and shows it). The last run (whose values feed previews, node
 * tests and the Last run button) was another document's: forgotten, unless `lastRun` is one of this one.
 */
export function replaceDocument(
  graph: Graph,
  opts: { dirty?: boolean; dbVersion?: number | null; savedId?: string | null; lastRun?: string },
): void {
  const { lastRun, ...load } = opts;
  docStore.getState().load(graph, load);
  if (!opts.dirty) clearDraft();
  const ui = uiStore.getState();
  ui.setLastRun(lastRun ?? null);
  ui.showPane({ kind: 'edit' });
}

export function newGraph(): void {
  if (!confirmDiscard('Start a new graph')) return;
  replaceDocument(emptyGraph(), {});
}

/** Opens a saved graph: its latest version, or `version`. */
export async function openGraph(graphId: string, version?: number): Promise<boolean> {
  if (!confirmDiscard(`Open "${graphId}"`)) return false;
  try {
    const r = await hostClient().call('graphs.get', { graphIdOrRunId: graphId, ...(version ? { version } : {}) });
    const graph = readGraphText(r.json, graphId);
    replaceDocument(graph, { dbVersion: r.version, savedId: graphId });
    rememberRecent(graph);
    return true;
  } catch (err) {
    notify('error', `Could not open ${graphId}: ${text(err)}`);
    return false;
  }
}

/** Opens the graph a run ran (its snapshot) as the document; saving it makes it a version of its graph. */
export async function openRunGraph(runId: string): Promise<boolean> {
  if (!confirmDiscard('Open the graph of this run')) return false;
  try {
    const c = hostClient();
    const r = await c.call('graphs.get', { graphIdOrRunId: runId });
    const graph = readGraphText(r.json, runId);
    const known = (await c.call('graphs.list', {})).graphs.some((g) => g.graphId === graph.id);
    replaceDocument(graph, {
      dirty: !r.saved,
      dbVersion: r.saved ? r.version : null,
      savedId: known ? graph.id : null,
      lastRun: runId,
    });
    return true;
  } catch (err) {
    notify('error', `Could not open the graph of ${runId}: ${text(err)}`);
    return false;
  }
}

const problemsOf = (err: unknown) =>
  err instanceof ApiCallError ? (err.issues ?? []).map((i) => `${i.path}: ${i.message}`) : [];

/**
 * Saves the document as a new version of its graph. A document not yet saved under its id (new,
 * imported, or its id changed) asks for a name first: the save dialog.
 */
export async function saveGraph(): Promise<boolean> {
  const s = docStore.getState();
  if (s.savedId !== s.graph.id) {
    uiStore.getState().open({ kind: 'save-as', first: true });
    return false;
  }
  return store(s.graph, false);
}

/** Saves `graph` (the document, perhaps under a new id and name); the document takes them when it is saved. */
async function store(graph: Graph, create: boolean): Promise<boolean> {
  try {
    const r = await hostClient().call('graphs.save', { graph, create });
    const doc = docStore.getState();
    if (doc.graph.id !== graph.id || doc.graph.name !== graph.name)
      doc.apply({ type: 'update-graph', patch: { id: graph.id, name: graph.name } });
    // The host saves the canonical bytes; the document is clean when they are ours.
    docStore.getState().markSaved(r.json, r.version, r.graphId);
    savedGraphs().noteSaved(r.graphId); // composition nodes may run it now
    clearDraft();
    rememberRecent(graph);
    notify('success', `Saved ${r.graphId} as version ${r.version}`);
    return true;
  } catch (err) {
    if (err instanceof ApiCallError && err.code === 'conflict') throw err;
    const issues = problemsOf(err);
    // With a list of problems the title counts them (the message would repeat the first one).
    if (issues.length > 0)
      notify('error', `Not saved: the graph has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
    else notify('error', `Not saved: ${text(err)}`);
    return false;
  }
}

/**
 * Saves under an id and name. Unless `overwrite`, an id a saved graph already has is refused
 * (the host answers `conflict`): the returned message asks the person to confirm.
 */
export async function saveGraphAs(
  id: string,
  name: string,
  overwrite: boolean,
): Promise<{ ok: true } | { ok: false; taken?: string; error?: string }> {
  if (!GRAPH_ID_RE.test(id))
    return { ok: false, error: `"${id}" is not a graph id: use a-z, 0-9, _ and -, starting with a letter or digit` };
  const graph = { ...docStore.getState().graph, id, name: name || id };
  try {
    return (await store(graph, !overwrite)) ? { ok: true } : { ok: false };
  } catch (err) {
    return { ok: false, taken: text(err) }; // the document keeps its id and name until the person decides
  }
}

/** A graph file as the document. Nodes without positions are laid out (elk loads on first use). */
export async function importGraphFile(file: File): Promise<boolean> {
  let graph: Graph;
  try {
    const text = await file.text();
    graph = isYamlName(file.name) ? await readYamlGraph(text, file.name) : readGraphText(text, file.name);
  } catch (err) {
    notify('error', text(err));
    return false;
  }
  if (!confirmDiscard(`Import ${file.name}`)) return false;
  if (graph.nodes.some((n) => !n.position)) {
    const at = new Map((await autoLayout(graph)).map((p) => [p.id, p.position]));
    graph = { ...graph, nodes: graph.nodes.map((n) => (n.position ? n : { ...n, position: at.get(n.id)! })) };
  }
  replaceDocument(graph, { dirty: true });
  const issues = docStore.getState().issues;
  notify('info', `Imported ${file.name}${issues.all.length ? ` (${issues.all.length} problems)` : ''}`);
  return true;
}

export function exportGraph(): void {
  downloadGraph(docStore.getState().graph);
}

export function runMenuCommand(command: string): void {
  const ui = uiStore.getState();
  switch (command) {
    case 'new':
      return newGraph();
    case 'open':
      return ui.open({ kind: 'open' });
    case 'save':
      void saveGraph();
      return;
    case 'save-as':
      return ui.open({ kind: 'save-as' });
    case 'import':
      ui.setView('editor');
      document.querySelector<HTMLInputElement>('[data-testid="import-graph"]')?.click();
      return;
    case 'export':
      return exportGraph();
    case 'view-editor':
      return ui.setView('editor');
    case 'view-runs':
      return ui.setView('runs');
    case 'view-settings':
      return ui.setView('settings');
  }
}
