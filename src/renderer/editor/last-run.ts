/**
 * The values of the document's last run (its input and each node's output), for previews of
 * templates and for pinning the inputs of a node test. Fetched on demand and cached by run and
 * last event, so a finished run is read once.
 */
import { useEffect, useState } from 'react';
import type { RunEvent } from '../../core/events';
import type { TemplateScope } from '../../core/ports';
import { hostClient } from '../api/client';
import { readGraphText } from '../doc/files';
import { foldTo } from '../run/fold';
import { useUi } from '../ui/ui-store';

const cache = new Map<string, { seq: number; done: boolean; scope: TemplateScope }>();

export async function lastRunScope(runId: string): Promise<TemplateScope> {
  const hit = cache.get(runId);
  if (hit?.done) return hit.scope;
  const c = hostClient();
  const graph = readGraphText((await c.call('graphs.get', { graphIdOrRunId: runId })).json, runId);
  const { events } = await c.call('runs.events', { runId, afterSeq: 0 });
  const run = foldTo(runId, graph, events as unknown as RunEvent[]);
  const nodes: TemplateScope['nodes'] = {};
  for (const [id, n] of Object.entries(run.nodes)) if (n.output !== undefined) nodes[id] = { output: n.output };
  const scope = { input: run.input, nodes };
  cache.set(runId, {
    seq: run.lastSeq,
    done: run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled',
    scope,
  });
  return scope;
}

/** The last run's scope (null until loaded, or when there is no run yet). */
export function useLastRunScope(): TemplateScope | null {
  const runId = useUi((s) => s.lastRun);
  const [scope, setScope] = useState<{ runId: string; scope: TemplateScope } | null>(null);
  useEffect(() => {
    if (!runId) return;
    let live = true;
    lastRunScope(runId)
      .then((s) => live && setScope({ runId, scope: s }))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [runId]);
  return scope && scope.runId === runId ? scope.scope : null;
}
