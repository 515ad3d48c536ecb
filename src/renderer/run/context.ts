/** What the parts of one run view share: its session, what a person can do to the run, and its dialogs. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { RunState } from '../../core/engine/state';
import type { HostClient } from '../api/client';
import { act, type RunSession, type RunSessionState } from './session';

export type RunDialog =
  { kind: 'approval'; nodeId: string; approved: boolean } | { kind: 'rerun'; nodeId: string } | { kind: 'budget' };

/** A run's limits (the core's own type): what a resume may raise. */
export type Budget = RunState['budget'];

export interface Decision {
  approved: boolean;
  comment?: string;
  data?: unknown;
}

/** The controls of a run, each refused by the host with a message (kept in the session's `error`). */
export function runActions(client: HostClient, session: RunSession) {
  const runId = session.getState().runId;
  return {
    control: (action: 'pause' | 'resume' | 'cancel') =>
      act(session, () => client.call(`runs.${action}`, { runId })).then(
        () => undefined,
        () => undefined,
      ),
    /** Resumes a run paused by its budget with a higher one (refused: rethrown for the dialog). */
    resumeWithBudget: (budget: Budget) => act(session, () => client.call('runs.resume', { runId, budget })),
    approve: (nodeId: string, d: Decision) => act(session, () => client.call('runs.approve', { runId, nodeId, ...d })),
    retry: (nodeId: string) =>
      act(session, () => client.call('runs.retry', { runId, nodeId })).then(
        () => undefined,
        () => undefined,
      ),
    resolve: (nodeId: string, output: unknown) =>
      act(session, () => client.call('runs.resolve', { runId, nodeId, output })),
    /** A new run from `fromNodeId`; resolves to its id. */
    rerun: async (fromNodeId: string, reuse: readonly string[] = []) =>
      (
        await act(session, () =>
          client.call('runs.rerun', { runId, fromNodeId, ...(reuse.length ? { reuse: [...reuse] } : {}) }),
        )
      ).runId,
  };
}

export type RunActions = ReturnType<typeof runActions>;

export interface RunViewContextValue {
  session: RunSession;
  actions: RunActions;
  openDialog(d: RunDialog): void;
  /** Shows another run (a rerun just started, a child, a parent) in this view's place. */
  openRun(runId: string, opts?: { select?: string; related?: boolean }): void;
  /** Opens a composition node's child run (a subgraph's, a loop's latest); a map's node shows its items. */
  openChild(nodeId: string): void;
}

export const RunViewContext = createContext<RunViewContextValue | null>(null);

export function useRunView(): RunViewContextValue {
  const v = useContext(RunViewContext);
  if (!v) throw new Error('statepipe: a part of the run view needs its RunViewContext');
  return v;
}

export function useSession<T>(selector: (s: RunSessionState) => T): T {
  return useStore(useRunView().session, selector);
}
