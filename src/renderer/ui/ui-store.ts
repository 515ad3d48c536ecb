/** UI state outside the document: the view, the open dialog, notifications. */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export type View = 'editor' | 'runs' | 'settings';
export type Dialog =
  | null
  | { kind: 'open' }
  | { kind: 'save-as' }
  | { kind: 'run-input' }
  | { kind: 'approval'; nodeId: string; approved: boolean }
  | { kind: 'rerun'; nodeId: string };
export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
  detail?: string[];
}

export interface UiState {
  view: View;
  dialog: Dialog;
  toasts: Toast[];
  setView(v: View): void;
  open(d: Dialog): void;
  notify(kind: Toast['kind'], text: string, detail?: string[]): void;
  dismiss(id: number): void;
}

let nextToast = 1;

export const uiStore = createStore<UiState>()((set, get) => ({
  view: 'editor',
  dialog: null,
  toasts: [],
  setView: (view) => set({ view }),
  open: (dialog) => set({ dialog }),
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
