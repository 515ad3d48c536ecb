/** Bulk actions over selected runs: cancel and rerun (from the graph's entry node). */
import type { HostClient } from '../api/client';
import { entryNode } from '../doc/defaults';

export interface BulkResult {
  ok: string[];
  failed: { runId: string; message: string }[];
  /** New run ids (rerun). */
  created: string[];
}

async function each(ids: string[], fn: (runId: string) => Promise<string | undefined>): Promise<BulkResult> {
  const r: BulkResult = { ok: [], failed: [], created: [] };
  // A few at a time: the host drives each action.
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const made = await fn(id);
        r.ok.push(id);
        if (made) r.created.push(made);
      } catch (err) {
        r.failed.push({ runId: id, message: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, ids.length) }, worker));
  return r;
}

export const cancelRuns = (c: HostClient, ids: string[]): Promise<BulkResult> =>
  each(ids, async (runId) => {
    await c.call('runs.cancel', { runId });
    return undefined;
  });

export const rerunRuns = (c: HostClient, ids: string[]): Promise<BulkResult> =>
  each(ids, async (runId) => {
    const { json } = await c.call('graphs.get', { graphIdOrRunId: runId });
    const from = entryNode(JSON.parse(json) as Parameters<typeof entryNode>[0]);
    if (!from) throw new Error('the graph has no entry node');
    return (await c.call('runs.rerun', { runId, fromNodeId: from })).runId;
  });
