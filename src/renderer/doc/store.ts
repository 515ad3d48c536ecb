/**
 * The document store (zustand): the graph v1 JSON is the source of truth; xyflow's nodes and
 * edges are derived from it (see flow.ts). Edits go through `apply` (pure changes, graph-edit.ts)
 * and are recorded for undo/redo; typing in one field is coalesced into one undo step, a drag
 * into one step. Dirty = the canonical bytes differ from the last saved/opened ones.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { Graph, GraphNode } from '../../core/graph/schema';
import { serializeGraph } from '../../core/graph/serialize';
import { emptyGraph } from './defaults';
import { applyGraphChanges, type GraphChange } from './graph-edit';
import { emptyHistory, record, redo, undo, type History } from './history';
import { NO_ISSUES, type IssueMap } from './issue-map';

export interface ApplyOptions {
  /** Edits with the same key within COALESCE_MS are one undo step (typing in a field). */
  coalesce?: string;
  /** false: not an undo step of its own (used while dragging). */
  history?: boolean;
}

export const COALESCE_MS = 800;

export interface DocState {
  graph: Graph;
  /** Canonical bytes of the last saved or opened version; the document is dirty when they differ. */
  baseline: string;
  /** The graph's version in the database when last saved/opened there, else null. */
  dbVersion: number | null;
  /**
   * The graph id the document is saved under (opened from or saved to the database), else null:
   * a new or imported document. Save asks for a name (and confirms an id that is taken) until the
   * document is saved under its own id.
   */
  savedId: string | null;
  dirty: boolean;
  history: History;
  index: ReadonlyMap<string, GraphNode>;
  selectedNodes: readonly string[];
  selectedEdges: readonly string[];
  /** Sizes the canvas measured (UI only, never in the graph). */
  measured: Readonly<Record<string, { width: number; height: number }>>;
  issues: IssueMap;
  /** The graph before the current drag, recorded as one undo step when it ends. */
  dragStart: Graph | null;
  lastEdit: { key: string; at: number } | null;
  /** Bumped by every load (new/open/import): the canvas fits the view to it. */
  loadCount: number;

  apply(changes: GraphChange | readonly GraphChange[], opts?: ApplyOptions): void;
  /** Moves nodes; `dragging` true while the pointer is down (one undo step per drag). */
  move(positions: { id: string; position: { x: number; y: number } }[], dragging: boolean): void;
  undo(): void;
  redo(): void;
  /** Replaces the document (new/open/import); clears history. `dirty`: it differs from any stored version. */
  load(graph: Graph, opts?: { dirty?: boolean; dbVersion?: number | null; savedId?: string | null }): void;
  markSaved(json: string, dbVersion: number | null, savedId: string): void;
  select(nodes: readonly string[], edges: readonly string[]): void;
  setMeasured(sizes: Record<string, { width: number; height: number }>): void;
  setIssues(issues: IssueMap): void;
}

const indexOf = (g: Graph) => new Map(g.nodes.map((n) => [n.id, n]));

/** What a document starts with when a graph is opened: no history, selection, sizes, issues or drag. */
const freshDoc = (g: Graph) => ({
  history: emptyHistory(),
  index: indexOf(g),
  selectedNodes: [],
  selectedEdges: [],
  measured: {},
  issues: NO_ISSUES,
  dragStart: null,
  lastEdit: null,
});

export function createDocStore(
  initial: Graph = emptyGraph(),
  now: () => number = () => Date.now(),
): StoreApi<DocState> {
  const baseline = serializeGraph(initial);
  return createStore<DocState>()((set, get) => {
    /** Sets a new graph (keeping the index, selection and dirty flag in step). */
    const commit = (graph: Graph, history: History, extra: Partial<DocState> = {}) => {
      const s = get();
      const ids = graph === s.graph ? null : new Set(graph.nodes.map((n) => n.id));
      const edgeIds = graph === s.graph ? null : new Set(graph.edges.map((e) => e.id));
      set({
        graph,
        history,
        index: graph === s.graph ? s.index : indexOf(graph),
        dirty: serializeGraph(graph) !== (extra.baseline ?? s.baseline),
        ...(ids && edgeIds
          ? {
              selectedNodes: s.selectedNodes.filter((id) => ids.has(id)),
              selectedEdges: s.selectedEdges.filter((id) => edgeIds.has(id)),
            }
          : {}),
        ...extra,
      });
    };
    return {
      graph: initial,
      baseline,
      dbVersion: null,
      savedId: null,
      dirty: false,
      ...freshDoc(initial),
      loadCount: 0,

      apply(changes, opts = {}) {
        const s = get();
        const list = Array.isArray(changes) ? changes : [changes as GraphChange];
        const graph = applyGraphChanges(s.graph, list);
        if (graph === s.graph) return;
        const t = now();
        const merge =
          opts.coalesce !== undefined && s.lastEdit?.key === opts.coalesce && t - s.lastEdit.at < COALESCE_MS;
        const history = opts.history === false || merge ? s.history : record(s.history, s.graph);
        commit(graph, history, { lastEdit: opts.coalesce !== undefined ? { key: opts.coalesce, at: t } : null });
      },
      move(positions, dragging) {
        const s = get();
        const before = s.dragStart ?? s.graph;
        const graph = applyGraphChanges(
          s.graph,
          positions.map((p) => ({ type: 'move-node', id: p.id, position: p.position })),
        );
        if (dragging) {
          if (graph !== s.graph || s.dragStart) commit(graph, s.history, { dragStart: before, lastEdit: null });
          return;
        }
        const history = before !== graph ? record(s.history, before) : s.history;
        commit(graph, history, { dragStart: null, lastEdit: null });
      },
      undo() {
        const s = get();
        const r = undo(s.history, s.graph);
        if (r) commit(r.graph, r.history, { lastEdit: null, dragStart: null });
      },
      redo() {
        const s = get();
        const r = redo(s.history, s.graph);
        if (r) commit(r.graph, r.history, { lastEdit: null, dragStart: null });
      },
      load(graph, opts = {}) {
        const json = serializeGraph(graph);
        set({
          graph,
          baseline: opts.dirty ? '' : json,
          dbVersion: opts.dbVersion ?? null,
          savedId: opts.savedId ?? null,
          dirty: opts.dirty ?? false,
          ...freshDoc(graph),
          loadCount: get().loadCount + 1,
        });
      },
      markSaved(json, dbVersion, savedId) {
        set({ baseline: json, dbVersion, savedId, dirty: serializeGraph(get().graph) !== json });
      },
      select(nodes, edges) {
        const s = get();
        const same = (a: readonly string[], b: readonly string[]) =>
          a.length === b.length && a.every((x, i) => x === b[i]);
        if (same(nodes, s.selectedNodes) && same(edges, s.selectedEdges)) return;
        set({ selectedNodes: nodes, selectedEdges: edges });
      },
      setMeasured(sizes) {
        set({ measured: { ...get().measured, ...sizes } });
      },
      setIssues(issues) {
        set({ issues });
      },
    };
  });
}

/** The studio's one document. */
export const docStore = createDocStore();

export function useDoc<T>(selector: (s: DocState) => T): T {
  return useStore(docStore, selector);
}
