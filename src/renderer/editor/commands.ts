/** File commands of the editor (toolbar, keyboard and the desktop menu all call these). */
import type { Graph } from '../../core/graph/schema';
import { GRAPH_ID_RE } from '../../core/graph/schema';
import { serializeGraph } from '../../core/graph/validate';
import { ApiCallError, hostClient } from '../api/client';
import { emptyGraph } from '../doc/defaults';
import { clearDraft, downloadGraph, readGraphText, rememberRecent } from '../doc/files';
import { docStore } from '../doc/store';
import { runStore } from '../run/run-store';
import { uiStore } from '../ui/ui-store';

const notify = (...a: Parameters<ReturnType<typeof uiStore.getState>['notify']>) => uiStore.getState().notify(...a);

/** Asks before the open document's unsaved changes would be replaced. */
export function confirmDiscard(action: string): boolean {
  if (!docStore.getState().dirty) return true;
  return window.confirm(`The graph has unsaved changes. ${action} anyway and lose them?`);
}

function replaceDocument(graph: Graph, opts: { dirty?: boolean; dbVersion?: number | null }): void {
  runStore.getState().clear();
  docStore.getState().load(graph, opts);
  if (!opts.dirty) clearDraft();
  uiStore.getState().setView('editor');
}

export function newGraph(): void {
  if (!confirmDiscard('Start a new graph')) return;
  replaceDocument(emptyGraph(), {});
}

export async function openGraph(graphId: string, version: number | null = null): Promise<boolean> {
  if (!confirmDiscard(`Open "${graphId}"`)) return false;
  try {
    const { json } = await hostClient().call('graphs.get', { graphIdOrRunId: graphId });
    const graph = readGraphText(json, graphId);
    replaceDocument(graph, { dbVersion: version });
    rememberRecent(graph);
    return true;
  } catch (err) {
    notify('error', `Could not open ${graphId}: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

export async function saveGraph(): Promise<boolean> {
  const graph = docStore.getState().graph;
  try {
    const r = await hostClient().call('graphs.save', { graph });
    // The host saves the canonical bytes; the document is clean when they are ours.
    docStore.getState().markSaved(r.json, r.version);
    clearDraft();
    rememberRecent(graph);
    notify('success', `Saved ${r.graphId} as version ${r.version}`);
    return true;
  } catch (err) {
    const issues = err instanceof ApiCallError ? (err.issues ?? []).map((i) => `${i.path}: ${i.message}`) : [];
    // With a list of problems the title counts them (the message would repeat the first one).
    if (issues.length > 0)
      notify('error', `Not saved: the graph has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
    else notify('error', `Not saved: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

/** Saves under a new graph id (and name). */
export async function saveGraphAs(id: string, name: string): Promise<boolean> {
  if (!GRAPH_ID_RE.test(id)) {
    notify('error', `"${id}" is not a graph id: use a-z, 0-9, _ and -, starting with a letter or digit`);
    return false;
  }
  docStore.getState().apply({ type: 'update-graph', patch: { id, name: name || id } });
  return saveGraph();
}

export async function importGraphFile(file: File): Promise<boolean> {
  let graph: Graph;
  try {
    graph = readGraphText(await file.text(), file.name);
  } catch (err) {
    notify('error', err instanceof Error ? err.message : String(err));
    return false;
  }
  if (!confirmDiscard(`Import ${file.name}`)) return false;
  replaceDocument(graph, { dirty: true });
  const issues = docStore.getState().issues;
  notify('info', `Imported ${file.name}${issues.all.length ? ` (${issues.all.length} problems)` : ''}`);
  return true;
}

export function exportGraph(): void {
  const graph = docStore.getState().graph;
  downloadGraph(graph);
}

/** The canonical bytes of the open document (also used by tests through the page). */
export const documentBytes = (): string => serializeGraph(docStore.getState().graph);

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

export { emptyGraph };
