/**
 * Idempotent run starts (web host `POST /api/runs`, API `runs.start` with `idempotencyKey`):
 * a key seen before answers with the run it started, never a second run. The look-up, the
 * new run and its key commit in one IMMEDIATE transaction, so two processes (or two requests)
 * with the same key cannot both create a run.
 */
import type { Graph } from '../core/graph/schema.js';
import type { StatepipeService } from './service.js';

export interface StartedRun {
  runId: string;
  /** False when the key had started a run before: that run is returned. */
  created: boolean;
}

/**
 * Creates the run (nothing executes yet), once per key. The graph is a draft: the run keeps its
 * snapshot, no saved version is added (saving is `graphs.save`).
 */
export function createRunOnce(service: StatepipeService, graph: Graph, input: unknown, key?: string): StartedRun {
  if (key === undefined) return { runId: service.createRun(graph, input, { save: false }), created: true };
  const db = service.store.db;
  const find = db.prepare('SELECT run_id FROM run_keys WHERE key = ?').pluck();
  const step = db.transaction((): StartedRun => {
    const existing = find.get(key) as string | undefined;
    if (existing !== undefined) return { runId: existing, created: false };
    const runId = service.createRun(graph, input, { save: false });
    db.prepare('INSERT INTO run_keys (key, run_id, created_at) VALUES (?, ?, ?)').run(
      key,
      runId,
      new Date().toISOString(),
    );
    return { runId, created: true };
  });
  return step.immediate();
}
