/**
 * Everything the run detail and the diff show of one run: its graph snapshot (and the graph's
 * latest saved version), its whole event log followed live (followRun), folded by the engine's
 * own fold.
 */
import { useEffect, useMemo, useState } from 'react';
import type { RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import { followRun, hostClient } from '../api/client';

export interface RunData {
  runId: string;
  graph: Graph;
  /** The snapshot as stored (canonical JSON) and the graph's latest saved version, if it differs. */
  snapshotJson: string;
  latestJson: string | null;
  events: RunEvent[];
}

export function useRunData(runId: string): { data: RunData | null; error: string | null } {
  const [base, setBase] = useState<{
    runId: string;
    graph: Graph;
    snapshotJson: string;
    latestJson: string | null;
  } | null>(null);
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const c = hostClient();
    let stopped = false;
    let unfollow: (() => void) | undefined;
    setBase(null);
    setEvents([]);
    setError(null);
    (async () => {
      const { json: snapshotJson } = await c.call('graphs.get', { graphIdOrRunId: runId });
      const graph = JSON.parse(snapshotJson) as Graph;
      let latestJson: string | null = null;
      try {
        latestJson = (await c.call('graphs.get', { graphIdOrRunId: graph.id })).json;
      } catch {
        latestJson = null;
      }
      if (stopped) return;
      setBase({ runId, graph, snapshotJson, latestJson });
      unfollow = followRun(c, runId, (fresh) => {
        // Pushed token events may be merged; the log's own copy is what time travel folds.
        setEvents((prev) => [...prev, ...(fresh as RunEvent[])]);
      });
    })().catch((err: unknown) => !stopped && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      stopped = true;
      unfollow?.();
    };
  }, [runId]);

  const data = useMemo(() => (base && base.runId === runId ? { ...base, events } : null), [base, events, runId]);
  return { data, error };
}
