/**
 * The ids of the graphs saved on the host (`graphs.list`). With the file's own library they are
 * the graphs a composition node can run from the studio: a run started here finds a node's graph
 * as the host does (docs/composition.md "The library"), so live validation checks references
 * against both, and the `graph` field offers them. `null` until the host has answered.
 *
 * Read again when the connection opens, when the window gets the focus back (the CLI or another
 * window may have saved one meanwhile), when a `graph` field is shown, and after the studio saves.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { hostClient } from '../api/client';

export interface SavedGraphsState {
  ids: ReadonlySet<string> | null;
}

type List = () => Promise<{ graphs: { graphId: string }[] }>;

export interface SavedGraphs {
  store: StoreApi<SavedGraphsState>;
  /** Reads the list again; a failure keeps what is known. Resolves once the latest read is in. */
  refresh(): Promise<void>;
  /** A graph the studio has just saved: known at once, before the list is read again. */
  noteSaved(graphId: string): void;
}

const same = (a: ReadonlySet<string> | null, b: ReadonlySet<string>) =>
  a !== null && a.size === b.size && [...b].every((id) => a.has(id));

export function createSavedGraphs(list: List): SavedGraphs {
  const store = createStore<SavedGraphsState>()(() => ({ ids: null }));
  let asked = 0;
  const set = (ids: ReadonlySet<string>) => {
    if (!same(store.getState().ids, ids)) store.setState({ ids });
  };
  return {
    store,
    async refresh() {
      const ticket = ++asked;
      try {
        const r = await list();
        // An older answer never overwrites a newer one.
        if (ticket === asked) set(new Set(r.graphs.map((g) => g.graphId)));
      } catch {
        /* not known any better: the host did not answer */
      }
    },
    noteSaved(graphId) {
      const ids = store.getState().ids;
      // While the list is not known, one id would not be all of it: the read says.
      if (ids && !ids.has(graphId)) set(new Set([...ids, graphId]));
      void this.refresh();
    },
  };
}

let page: SavedGraphs | undefined;

/** The page's list, read from its host. */
export function savedGraphs(): SavedGraphs {
  page ??= createSavedGraphs(() => hostClient().call('graphs.list', {}));
  return page;
}

export function useSavedGraphs(): ReadonlySet<string> | null {
  return useStore(savedGraphs().store, (s) => s.ids);
}
