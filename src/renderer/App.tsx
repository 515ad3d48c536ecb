/** The studio shell: header (graph, dirty marker, views, connection), the views, dialogs, notifications. */
import { lazy, Suspense, useEffect, useState, type JSX } from 'react';
import { hostClient, type ConnectionState } from './api/client';
import { connectionLabel } from './api/connection';
import { runMenuCommand, saveGraph } from './doc/commands';
import { useDoc } from './doc/store';
import { Dialogs } from './editor/Dialogs';
import { Editor } from './editor/Editor';
import { startSession } from './session';
import { Icon } from './ui/icons';
import { Tabs } from './ui/Tabs';
import { setThemeChoice, useTheme } from './ui/theme';
import { uiStore, useUi, type View } from './ui/ui-store';

// The Runs and Settings views load when first opened: the first load carries the editor alone.
const RunsView = lazy(() => import('./views/RunsView').then((m) => ({ default: m.RunsView })));
const SettingsView = lazy(() => import('./views/SettingsView').then((m) => ({ default: m.SettingsView })));

const VIEWS: { id: View; label: string }[] = [
  { id: 'editor', label: 'Editor' },
  { id: 'runs', label: 'Runs' },
  { id: 'settings', label: 'Settings' },
];

/** A view's tab (or Ctrl+1/2/3): the Editor tab shows the graph editor, not a run or version list left open in it. */
function showView(v: View): void {
  if (v === 'editor') uiStore.getState().showPane({ kind: 'edit' });
  else uiStore.getState().setView(v);
}

function useConnection(): ConnectionState {
  const [state, setState] = useState<ConnectionState>('connecting');
  useEffect(() => hostClient().onConnection(setState), []);
  return state;
}

function Toasts(): JSX.Element {
  const toasts = useUi((s) => s.toasts);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast toast-${t.kind}`}
          data-testid={`toast-${t.kind}`}
          onClick={() => uiStore.getState().dismiss(t.id)}
        >
          <div>{t.text}</div>
          {t.detail && t.detail.length > 0 && (
            <ul>
              {t.detail.slice(0, 6).map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </div>
  );
}

export function App(): JSX.Element {
  startSession();
  const view = useUi((s) => s.view);
  const name = useDoc((s) => s.graph.name || s.graph.id);
  const graphId = useDoc((s) => s.graph.id);
  const dirty = useDoc((s) => s.dirty);
  const version = useDoc((s) => s.dbVersion);
  const savedId = useDoc((s) => s.savedId);
  const conn = useConnection();
  const { theme } = useTheme();

  useEffect(() => hostClient().onMenu(runMenuCommand), []);
  // The editor has rendered and its handlers are attached: what the first-load bench measures to.
  useEffect(() => void performance.mark('statepipe:interactive'), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const k = e.key.toLowerCase();
      if (k === 's') {
        e.preventDefault();
        if (e.shiftKey) uiStore.getState().open({ kind: 'save-as' });
        else void saveGraph();
      } else if (k === 'o') {
        e.preventDefault();
        uiStore.getState().open({ kind: 'open' });
      } else if (['1', '2', '3'].includes(k) && !e.shiftKey) {
        e.preventDefault();
        showView(VIEWS[Number(k) - 1]!.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    document.title = `${dirty ? '• ' : ''}${name} — statepipe`;
  }, [name, dirty]);

  return (
    <div className="app">
      <header className="app-header">
        <h1 className="brand">
          <span className="brand-mark">
            <Icon name="logo" size={18} />
          </span>
          <span className="brand-name">statepipe</span>
        </h1>
        <div className="doc-title" data-testid="doc-title" title={graphId}>
          <span className="doc-name" data-testid="doc-name">
            {name}
          </span>
          <span className="doc-meta mono" data-testid="doc-version">
            {graphId}
            {version !== null ? ` · v${version}` : savedId === null ? ' · not saved yet' : ''}
          </span>
          {dirty && (
            <span className="dirty" data-testid="dirty" title="Unsaved changes">
              ● Unsaved
            </span>
          )}
        </div>
        <nav aria-label="Views">
          <Tabs
            className="app-tabs"
            label="Views"
            tabs={VIEWS}
            current={view}
            onChange={showView}
            idPrefix="view-tab"
            panelId="view-panel"
            testIdPrefix="tab-"
          />
        </nav>
        <span className="spacer" />
        <span
          className={`conn-target${hostClient().remote ? ' conn-remote' : ''}`}
          data-testid="connection-target"
          title={hostClient().remote ? `Connected to ${hostClient().remote!.url}` : 'This computer'}
        >
          {connectionLabel(hostClient().remote)}
        </span>
        <span
          className={`conn conn-${conn}`}
          data-testid="connection"
          data-state={conn}
          title={`Host connection: ${conn}`}
        >
          <span className="conn-dot" />
          {conn === 'open' ? 'Connected' : conn === 'connecting' ? 'Connecting…' : 'Offline'}
        </span>
        <button
          type="button"
          className="btn btn-icon btn-ghost"
          data-testid="theme-toggle"
          aria-label={`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`}
          title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          onClick={() => setThemeChoice(theme === 'dark' ? 'light' : 'dark')}
        >
          <Icon name={theme === 'dark' ? 'sun' : 'moon'} size={16} />
        </button>
      </header>
      <main className="app-main">
        <div className="view-panel" id="view-panel" role="tabpanel" aria-labelledby={`view-tab-${view}`}>
          <div className="view" hidden={view !== 'editor'}>
            <Editor />
          </div>
          <Suspense fallback={<div className="muted pane-loading">Loading…</div>}>
            {view === 'runs' && <RunsView />}
            {view === 'settings' && <SettingsView />}
          </Suspense>
        </div>
      </main>
      <Dialogs />
      <Toasts />
    </div>
  );
}
