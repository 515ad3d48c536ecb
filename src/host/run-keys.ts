/**
 * Idempotent run starts (web host `POST /api/runs`, API `runs.start` with `idempotencyKey`):
 * a key seen before answers with the run it started, never a second run. The store creates the
 * run and records its key in one transaction, so two processes (or two requests) with the same
 * key cannot both create a run.
 */
import { KeyTakenError } from '../core/errors.js';
import type { Graph } from '../core/graph/schema.js';
import type { StatepipeService } from './service.js';

export interface StartedRun {
  runId: string;
  /** False when the key had started a run before: that run is returned. */
  created: boolean;
}

/** Creates the run (nothing executes yet), once per key. */
export async function createRunOnce(
  service: StatepipeService,
  graph: Graph,
  input: unknown,
  key?: string,
): Promise<StartedRun> {
  if (key === undefined) return { runId: await service.createRun(graph, input), created: true };
  try {
    return { runId: await service.createRun(graph, input, { idempotencyKey: key }), created: true };
  } catch (err) {
    if (err instanceof KeyTakenError) return { runId: err.runId, created: false };
    throw err;
  }
}
