/**
 * The run the studio shows: started from the editor (its graph is the document) or opened by id
 * (its graph is the run's stored snapshot, shown read-only: "run mode"). Follows the run's events
 * (followRun: catch-up by seq, then live) and folds them once per animation frame, so a stream of
 * tokens costs one store update per frame, never one per token.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { Graph } from '../../core/graph/schema';
import { followRun, type HostClient, type WireEvent } from '../api/client';
import { readGraphText } from '../doc/files';
import { isTerminalStatus, RunFold, type NodeSnapshot, type NodeStatus, type RunSnapshot } from './fold';

export interface RunStoreState {
  view: RunSnapshot | null;
  /** The graph the run runs (the document's when started here, else the run's snapshot). */
  graph: Graph | null;
  /** 'run': a run opened by id is on the canvas, read-only. */
  mode: 'edit' | 'run';
  /** The node the inspector shows in run mode. */
  inspected: string | null;
  error: string | null;
  busy: boolean;
  start(client: HostClient, graph: Graph, input: unknown): Promise<string>;
  follow(client: HostClient, runId: string, graph: Graph): void;
  /** Opens a run by id (e.g. one the CLI started) on the canvas in run mode and follows it. */
  open(client: HostClient, runId: string): Promise<void>;
  leave(): void;
  inspect(nodeId: string | null): void;
  control(client: HostClient, action: 'pause' | 'resume' | 'cancel'): Promise<void>;
  approve(
    client: HostClient,
    nodeId: string,
    decision: { approved: boolean; comment?: string; data?: unknown },
  ): Promise<void>;
  retry(client: HostClient, nodeId: string): Promise<void>;
  resolve(client: HostClient, nodeId: string, output: unknown): Promise<void>;
  rerun(client: HostClient, fromNodeId: string, reuse: string[]): Promise<void>;
  clear(): void;
}

let unfollow: (() => void) | null = null;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Schedules `fn` on the next animation frame (or soon, where frames do not come: a hidden tab). */
function nextFrame(fn: () => void): () => void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    cancelAnimationFrame(raf);
    clearTimeout(timer);
    fn();
  };
  const raf = requestAnimationFrame(run);
  const timer = setTimeout(run, 120);
  return () => {
    done = true;
    cancelAnimationFrame(raf);
    clearTimeout(timer);
  };
}

export const runStore = createStore<RunStoreState>()((set, get) => {
  const act = async (fn: () => Promise<unknown>) => {
    set({ error: null });
    try {
      await fn();
    } catch (err) {
      set({ error: message(err) });
      throw err;
    }
  };
  return {
    view: null,
    graph: null,
    mode: 'edit',
    inspected: null,
    error: null,
    busy: false,
    async start(client, graph, input) {
      set({ busy: true, error: null });
      try {
        const { runId } = await client.call('runs.start', {
          graph: graph as unknown as Record<string, unknown>,
          input,
        });
        set({ mode: 'edit', inspected: null });
        get().follow(client, runId, graph);
        return runId;
      } finally {
        set({ busy: false });
      }
    },
    follow(client, runId, graph) {
      unfollow?.();
      const fold = new RunFold(runId, graph);
      set({ view: fold.current, graph, error: null });
      let queue: WireEvent[] = [];
      let cancelFrame: (() => void) | null = null;
      const flush = () => {
        cancelFrame = null;
        const batch = queue;
        queue = [];
        if (get().view?.runId !== runId) return;
        const view = fold.apply(batch);
        if (view !== get().view) set({ view });
      };
      const stop = followRun(client, runId, (events) => {
        queue.push(...events);
        cancelFrame ??= nextFrame(flush);
      });
      unfollow = () => {
        stop();
        cancelFrame?.();
      };
    },
    async open(client, runId) {
      set({ busy: true, error: null });
      try {
        const { json } = await client.call('graphs.get', { graphIdOrRunId: runId });
        const graph = readGraphText(json, runId);
        set({ mode: 'run', inspected: null });
        get().follow(client, runId, graph);
      } catch (err) {
        set({ error: message(err) });
        throw err;
      } finally {
        set({ busy: false });
      }
    },
    leave() {
      get().clear();
    },
    inspect(nodeId) {
      set({ inspected: nodeId });
    },
    control: (client, action) => {
      const runId = get().view?.runId;
      return runId ? act(() => client.call(`runs.${action}`, { runId })).catch(() => undefined) : Promise.resolve();
    },
    approve: (client, nodeId, d) => act(() => client.call('runs.approve', { runId: get().view!.runId, nodeId, ...d })),
    retry: (client, nodeId) => act(() => client.call('runs.retry', { runId: get().view!.runId, nodeId })),
    resolve: (client, nodeId, output) =>
      act(() => client.call('runs.resolve', { runId: get().view!.runId, nodeId, output })),
    rerun: (client, fromNodeId, reuse) =>
      act(async () => {
        const { runId } = await client.call('runs.rerun', {
          runId: get().view!.runId,
          fromNodeId,
          ...(reuse.length ? { reuse } : {}),
        });
        get().follow(client, runId, get().graph!);
      }),
    clear() {
      unfollow?.();
      unfollow = null;
      set({ view: null, graph: null, mode: 'edit', inspected: null, error: null });
    },
  };
});

export function useRun<T>(selector: (s: RunStoreState) => T): T {
  return useStore(runStore, selector);
}

/** A node's status in the current run ('idle' when none). */
export function useNodeStatus(nodeId: string): NodeStatus {
  return useRun((s) => s.view?.nodes[nodeId]?.status ?? 'idle');
}

/** A node's view in the current run (a new object only when that node changed). */
export function useNodeView(nodeId: string): NodeSnapshot | undefined {
  return useRun((s) => s.view?.nodes[nodeId]);
}

export const isTerminal = (view: RunSnapshot | null): boolean => !view || isTerminalStatus(view.status);
