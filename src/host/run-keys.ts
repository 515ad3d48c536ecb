/**
 * Idempotent run starts (web host `POST /api/runs`, API `runs.start` with `idempotencyKey`):
 * a key seen before answers with the run it started, never a second run. The key is stored
 * with a hash of the canonical request (graph and input), so the same key with a different
 * request is refused instead of answering with a run of another graph or input. The look-up,
 * the new run and its key commit in one IMMEDIATE transaction, so two processes (or two
 * requests) with the same key cannot both create a run.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.js';
import type { Graph } from '../core/graph/schema.js';
import type { StatepipeService } from './service.js';

export interface StartedRun {
  runId: string;
  /** False when the key had started a run before: that run is returned. */
  created: boolean;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash a key is stored with: key order and whitespace do not change it, any value does. */
export function requestHash(graph: Graph, input: unknown): string {
  return createHash('sha256').update(canonicalJson({ graph, input })).digest('hex');
}

/** Creates the run (nothing executes yet), once per key. */
export function createRunOnce(service: StatepipeService, graph: Graph, input: unknown, key?: string): StartedRun {
  if (key === undefined) return { runId: service.createRun(graph, input), created: true };
  const hash = requestHash(graph, input);
  const db = service.store.db;
  const find = db.prepare('SELECT run_id, request_hash FROM run_keys WHERE key = ?');
  const step = db.transaction((): StartedRun => {
    const existing = find.get(key) as { run_id: string; request_hash: string | null } | undefined;
    if (existing !== undefined) {
      if (existing.request_hash !== null && existing.request_hash !== hash) {
        throw new AppError(
          'validation',
          `Idempotency-Key "${key}" was first used with a different graph or input (run ${existing.run_id}): use a new key for a new request`,
          [{ path: 'idempotencyKey', message: 'was first used with a different graph or input' }],
        );
      }
      return { runId: existing.run_id, created: false };
    }
    const runId = service.createRun(graph, input);
    db.prepare('INSERT INTO run_keys (key, run_id, created_at, request_hash) VALUES (?, ?, ?, ?)').run(
      key,
      runId,
      new Date().toISOString(),
      hash,
    );
    return { runId, created: true };
  });
  return step.immediate();
}
