/**
 * The current run of the open graph: starts it, follows its events (followRun: catch-up by seq
 * then live, no gaps or duplicates) and exposes the folded state. Nodes read their status here.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { Graph } from '../../core/graph/schema';
import { followRun, type HostClient } from '../api/client';
import { newRunView, reduceRun, TERMINAL, type NodeStatus, type RunView } from './run-state';

export interface RunState {
  view: RunView | null;
  error: string | null;
  busy: boolean;
  start(client: HostClient, graph: Graph, input: unknown): Promise<void>;
  follow(client: HostClient, runId: string): void;
  control(client: HostClient, action: 'pause' | 'resume' | 'cancel'): Promise<void>;
  clear(): void;
}

let unfollow: (() => void) | null = null;

export const runStore = createStore<RunState>()((set, get) => ({
  view: null,
  error: null,
  busy: false,
  async start(client, graph, input) {
    set({ busy: true, error: null });
    try {
      const { runId } = await client.call('runs.start', { graph: graph as unknown as Record<string, unknown>, input });
      get().follow(client, runId);
    } catch (err) {
      set({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      set({ busy: false });
    }
  },
  follow(client, runId) {
    unfollow?.();
    set({ view: newRunView(runId), error: null });
    unfollow = followRun(client, runId, (events) => {
      const view = get().view;
      if (!view || view.runId !== runId) return;
      set({ view: reduceRun(view, events) });
    });
  },
  async control(client, action) {
    const view = get().view;
    if (!view) return;
    try {
      await client.call(`runs.${action}`, { runId: view.runId });
    } catch (err) {
      set({ error: err instanceof Error ? err.message : String(err) });
    }
  },
  clear() {
    unfollow?.();
    unfollow = null;
    set({ view: null, error: null });
  },
}));

export function useRun<T>(selector: (s: RunState) => T): T {
  return useStore(runStore, selector);
}

/** A node's status in the current run ('idle' when none). */
export function useNodeStatus(nodeId: string): NodeStatus {
  return useRun((s) => s.view?.nodes[nodeId]?.status ?? 'idle');
}

export const isTerminal = (view: RunView | null): boolean => !view || TERMINAL.has(view.status);
