/**
 * Idempotent run starts (web host `POST /api/runs`, API `runs.start` with `idempotencyKey`):
 * a key seen before answers with the run it started, never a second run. The key is stored
 * with a hash of the canonical request (graph and input), so the same key with a different
 * request is refused instead of answering with a run of another graph or input. The store
 * creates the run and records its key in one transaction, so two processes (or two requests)
 * with the same key cannot both create a run.
 */
import { AppError, KeyTakenError } from '../core/errors.js';
import type { Graph } from '../core/graph/schema.js';
import type { StatepipeService } from './service.js';
import { sha256 } from './store/index.js';

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

/**
 * The hash a key is stored with: key order, whitespace and where the nodes sit on the canvas
 * (a graph re-exported after a node was dragged is the same request) do not change it; any other
 * value does.
 */
export function requestHash(graph: Graph, input: unknown): string {
  return sha256(canonicalJson({ graph: withoutLayout(graph), input }));
}

function withoutLayout(graph: Graph): Graph {
  const nodes = graph.nodes.map(({ position: _, ...node }) => node);
  const graphs = graph.graphs
    ? Object.fromEntries(Object.entries(graph.graphs).map(([id, g]) => [id, withoutLayout(g)]))
    : undefined;
  return { ...graph, nodes, ...(graphs ? { graphs } : {}) };
}

/**
 * Creates the run (nothing executes yet), once per key. The graph is a draft: the run keeps its
 * snapshot, no saved version is added (saving is `graphs.save`).
 */
export async function createRunOnce(
  service: StatepipeService,
  graph: Graph,
  input: unknown,
  key?: string,
): Promise<StartedRun> {
  if (key === undefined) return { runId: await service.createRun(graph, input, { save: false }), created: true };
  const hash = requestHash(graph, input);
  try {
    return {
      runId: await service.createRun(graph, input, { save: false, idempotencyKey: { key, requestHash: hash } }),
      created: true,
    };
  } catch (err) {
    if (!(err instanceof KeyTakenError)) throw err;
    // A key stored before the layout was left out of the hash matches the request with its layout.
    const before = () => sha256(canonicalJson({ graph, input }));
    if (err.requestHash !== undefined && err.requestHash !== hash && err.requestHash !== before()) {
      throw new AppError(
        'validation',
        `Idempotency-Key "${key}" was first used with a different graph or input (run ${err.runId}): use a new key for a new request`,
        [{ path: 'idempotencyKey', message: 'was first used with a different graph or input' }],
      );
    }
    return { runId: err.runId, created: false };
  }
}
