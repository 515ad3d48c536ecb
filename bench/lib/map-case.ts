/**
 * Composition at scale (docs/composition.md), on SQLite at synchronous FULL:
 * - `map`: a map of N items whose child is a 3-node pure graph, or (`flat`) the same 3·N nodes
 *   as one graph of N parallel 3-node chains; nodes/s and the parent process's peak RSS.
 * - `map-resume-build` / `map-resume`: a 10 000-item map interrupted once 5 000 children have
 *   finished (the store "crashes" as a killed process would), then, in a fresh process, the time
 *   from `resume` to the next child run starting.
 */
import path from 'node:path';
import { realClock } from '../../src/core/engine/clock.js';
import { Engine } from '../../src/core/engine/engine.js';
import type { Graph } from '../../src/core/graph/schema.js';
import { validateGraph } from '../../src/core/graph/validate.js';
import { asRunId } from '../../src/core/ids.js';
import type { RunStore } from '../../src/core/ports.js';
import { openDatabase } from '../../src/host/store/index.js';
import type { MapResult, MapResumeBuildResult, MapResumeResult } from './cases.js';
import { MemoryTracker } from './stats.js';
import { TimedStore } from './timed-store.js';

const t = (id: string, template: string) => ({ id, type: 'transform', config: { template } });
const doc = (id: string, nodes: unknown[], edges: unknown[], extra: object = {}) => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  nodes,
  edges,
  ...extra,
});
const chainEdges = (ids: string[]) => ids.slice(1).map((id, i) => ({ id: `e-${id}`, source: ids[i]!, target: id }));

/** The child: three pure nodes (item → doubled → labelled). */
const CHILD = doc(
  'triple',
  [t('a', '{{input.item}}'), t('b', '{{nodes.a.output * 2}}'), t('c', '{{"item " & nodes.b.output}}')],
  chainEdges(['a', 'b', 'c']),
);

/** A parent mapping over `items` numbers, `concurrency` children at once. */
export function mapGraph(items: number, concurrency = 16): Graph {
  return validateGraph(
    doc(
      `bench-map-${items}`,
      [{ id: 'each', type: 'map', config: { graph: 'triple', items: `{{ [1..${items}] }}`, concurrency } }],
      [],
      { graphs: { triple: CHILD } },
    ),
  );
}

/** The same 3·N nodes as one graph: N parallel chains of three. */
export function flatGraph(items: number): Graph {
  const nodes: unknown[] = [];
  const edges: unknown[] = [];
  for (let i = 0; i < items; i++) {
    const ids = [`a${i}`, `b${i}`, `c${i}`];
    nodes.push(
      t(ids[0]!, `{{ ${i} }}`),
      t(ids[1]!, `{{nodes.a${i}.output * 2}}`),
      t(ids[2]!, `{{"item " & nodes.b${i}.output}}`),
    );
    edges.push(...chainEdges(ids));
  }
  return validateGraph(doc(`bench-flat-${items}`, nodes, edges, { concurrency: 16 }));
}

function engineOn(store: RunStore): Engine {
  return new Engine({ store, clock: realClock, runners: {}, owner: { id: 'bench' }, controlPollMs: 60_000 });
}

export async function mapCase(spec: { items: number; flat: boolean; dir: string }): Promise<MapResult> {
  const sqlite = openDatabase(path.join(spec.dir, 'map.db'), { synchronous: 'FULL' });
  const graph = spec.flat ? flatGraph(spec.items) : mapGraph(spec.items);
  const store = new TimedStore(sqlite);
  const mem = new MemoryTracker();
  store.onSample = () => mem.sample();
  // A small warm-up of the same shape, so both sides start with a warm JIT.
  await engineOn(new TimedStore(sqlite)).start(spec.flat ? flatGraph(50) : mapGraph(50), {}, { graphHash: 'w' });
  mem.begin();
  const t0 = performance.now();
  const out = await engineOn(store).start(graph, {}, { graphHash: 'x' });
  const wallMs = performance.now() - t0;
  const memory = mem.end();
  await sqlite.close();
  const nodes = spec.items * 3;
  return {
    kind: 'map',
    flat: spec.flat,
    items: spec.items,
    nodes,
    status: out.status,
    wallMs,
    nodesPerSec: nodes / (wallMs / 1000),
    peakRssDeltaMiB: memory.rssDeltaMiB,
    maxRssMiB: memory.maxRssMiB,
  };
}

const resumeDb = (dir: string) => path.join(dir, 'map-resume.db');

export async function mapResumeBuild(spec: { items: number; dir: string }): Promise<MapResumeBuildResult> {
  const sqlite = openDatabase(resumeDb(spec.dir), { synchronous: 'NORMAL' });
  const store = new TimedStore(sqlite);
  let finished = 0;
  store.afterAppend = (events) => {
    finished += events.filter((e) => e.type === 'child.finished').length;
    if (finished >= spec.items / 2) throw new Error('simulated crash');
  };
  const engine = engineOn(store);
  const runId = await engine.createRun(mapGraph(spec.items), {}, { graphHash: 'resume' });
  try {
    await engine.drive(runId);
    throw new Error('the fixture run was expected to crash');
  } catch (err) {
    if ((err as Error).message !== 'simulated crash') throw err;
  }
  const events = (await sqlite.loadRun(runId)).events.length;
  await sqlite.close();
  return { kind: 'map-resume-build', runId, childrenFinished: finished, parentEvents: events };
}

export async function mapResumeCase(spec: { runId: string; dir: string }): Promise<MapResumeResult> {
  const sqlite = openDatabase(resumeDb(spec.dir), { synchronous: 'FULL' });
  const store = new TimedStore(sqlite);
  let t0 = 0;
  let firstChildMs = NaN;
  store.afterAppend = (events) => {
    const childMoves = (e: { type: string; runId: string }) =>
      (e.type === 'run.started' || e.type === 'run.resumed') && e.runId !== spec.runId;
    if (Number.isNaN(firstChildMs) && events.some(childMoves)) firstChildMs = performance.now() - t0;
  };
  t0 = performance.now();
  const out = await engineOn(store).resume(asRunId(spec.runId));
  const totalMs = performance.now() - t0;
  await sqlite.close();
  return { kind: 'map-resume', status: out.status, firstChildMs, totalMs };
}
