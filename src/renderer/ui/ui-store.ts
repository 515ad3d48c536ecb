/** UI state outside the document: the view, what the editor shows, the open dialog, panels, notifications. */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export type View = 'editor' | 'runs' | 'settings';
/** The editor tab shows the document, a run of it (the run view), or the graph's saved versions. */
export type EditorPane =
  { kind: 'edit' } | { kind: 'run'; runId: string; select?: string } | { kind: 'history'; graphId: string };
export type Dialog =
  | null
  | { kind: 'open' }
  /** `first`: the document's first save (it asks for a name; an id that is taken needs a confirmation). */
  | { kind: 'save-as'; first?: boolean }
  | { kind: 'run-input' }
  /** "Create subgraph from selection": asks for the new graph's name. */
  | { kind: 'subgraph' };
export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
  detail?: string[];
}
/** Side panels a person can fold away (1280×720 is narrow). */
export type Panel = 'palette' | 'side';

const PANELS_KEY = 'statepipe.panels';

function storedPanels(): Record<Panel, boolean> {
  try {
    const v = JSON.parse(localStorage.getItem(PANELS_KEY) ?? '{}') as Partial<Record<Panel, boolean>>;
    return { palette: v.palette !== false, side: v.side !== false };
  } catch {
    return { palette: true, side: true };
  }
}

export interface UiState {
  view: View;
  pane: EditorPane;
  dialog: Dialog;
  toasts: Toast[];
  /** Which panels are open. */
  panels: Record<Panel, boolean>;
  /** The latest run started from the editor (its values feed previews and tests of nodes). */
  lastRun: string | null;
  setView(v: View): void;
  showPane(p: EditorPane): void;
  open(d: Dialog): void;
  togglePanel(p: Panel): void;
  setLastRun(runId: string | null): void;
  notify(kind: Toast['kind'], text: string, detail?: string[]): void;
  dismiss(id: number): void;
}

let nextToast = 1;

export const uiStore = createStore<UiState>()((set, get) => ({
  view: 'editor',
  pane: { kind: 'edit' },
  dialog: null,
  toasts: [],
  panels: storedPanels(),
  lastRun: null,
  setView: (view) => set({ view }),
  showPane: (pane) => set({ pane, view: 'editor' }),
  open: (dialog) => set({ dialog }),
  togglePanel(p) {
    const panels = { ...get().panels, [p]: !get().panels[p] };
    set({ panels });
    try {
      localStorage.setItem(PANELS_KEY, JSON.stringify(panels));
    } catch {
      /* a convenience */
    }
  },
  setLastRun: (lastRun) => set({ lastRun }),
  notify(kind, text, detail) {
    const id = nextToast++;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, text, ...(detail ? { detail } : {}) }] });
    setTimeout(() => get().dismiss(id), kind === 'error' ? 9000 : 3500);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

export function useUi<T>(selector: (s: UiState) => T): T {
  return useStore(uiStore, selector);
}
