/**
 * Our engine on a no-op graph: in memory, on SQLite at synchronous FULL / NORMAL, or on PostgreSQL
 * (group commit on, or off: `perNode`).
 */
import path from 'node:path';
import { realClock } from '../../src/core/engine/clock.js';
import { Engine } from '../../src/core/engine/engine.js';
import { MemoryStore } from '../../src/core/engine/memory-store.js';
import type { Graph } from '../../src/core/graph/schema.js';
import type { RunStore } from '../../src/core/ports.js';
import { openDatabase, type Store } from '../../src/host/store/index.js';
import { openPostgres } from '../../src/host/store/pg/open.js';
import type { EngineMode, EngineResult, Reps } from './cases.js';
import { buildGraph, nodeCount, type GraphSpec } from './graphs.js';
import { latency, median, MemoryTracker, repeat } from './stats.js';
import { TimedStore } from './timed-store.js';

interface OneRun {
  wallMs: number;
  status: string;
}

async function runOnce(store: TimedStore, graph: Graph, groupCommit = true): Promise<OneRun> {
  const engine = new Engine({
    store,
    clock: realClock,
    runners: {},
    owner: { id: 'bench' },
    controlPollMs: 60_000,
    groupCommit,
  });
  const t0 = performance.now();
  const out = await engine.start(graph, {}, { graphHash: 'x' });
  return { wallMs: performance.now() - t0, status: out.status };
}

export async function engineCase(spec: {
  mode: EngineMode;
  graph: GraphSpec;
  reps: Reps;
  dir: string;
  perNode?: boolean;
  url?: string;
}): Promise<EngineResult> {
  const { mode } = spec;
  const graph = buildGraph(spec.graph);
  const warm = buildGraph({ ...spec.graph, n: Math.min(spec.graph.n, 200) });
  const durable: Store | undefined =
    mode === 'memory'
      ? undefined
      : mode === 'postgres'
        ? await openPostgres(spec.url!)
        : openDatabase(path.join(spec.dir, `engine-${mode}.db`), { synchronous: mode });
  const newStore = (): TimedStore => new TimedStore(durable ?? (new MemoryStore() as RunStore));

  const group = spec.perNode !== true;
  for (let i = 0; i < 3; i++) await runOnce(newStore(), warm, group);

  const mem = new MemoryTracker();
  const walls: number[] = [];
  const engineMs: number[] = [];
  const appendMs: number[] = [];
  let appends = 0;
  let writes = 0;
  let status = '';
  let memory = { rssDeltaMiB: NaN, heapDeltaMiB: NaN, maxRssMiB: NaN };
  const reps = await repeat(spec.reps.minReps, spec.reps.maxReps, spec.reps.minMs, async (i) => {
    const store = newStore();
    if (i === 0) {
      store.onSample = () => mem.sample();
      mem.begin();
    }
    const r = await runOnce(store, graph, group);
    if (i === 0) memory = mem.end();
    walls.push(r.wallMs);
    engineMs.push(r.wallMs - store.writeMs);
    appendMs.push(...store.appendMs);
    appends = store.appends;
    writes = store.writes;
    status = r.status;
  });
  await durable?.close();

  const nodes = nodeCount(spec.graph);
  const wallMs = median(walls);
  return {
    kind: 'engine',
    mode,
    ...(spec.perNode ? { perNode: true } : {}),
    graph: spec.graph,
    nodes,
    reps,
    wallMs,
    nodesPerSec: nodes / (wallMs / 1000),
    usPerNode: (wallMs * 1000) / nodes,
    engineUsPerNode: (median(engineMs) * 1000) / nodes,
    appends,
    writes,
    usPerWrite: (wallMs * 1000) / writes,
    commit: latency(appendMs),
    memory,
    status,
  };
}
