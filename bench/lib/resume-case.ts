/**
 * Resume of a 10 000-node chain interrupted halfway. The build step (one process) drives runs of
 * the chain until node 5 000 has committed `node.started`, then the store "crashes" (throws): the
 * log holds ~15 000 events and the run is left `running` with that node in flight, exactly what a
 * killed process leaves. The measure step (a fresh process) opens the file through the service,
 * runs the startup recovery scan, and times `resume` until the first remaining node starts.
 */
import path from 'node:path';
import { realClock } from '../../src/core/engine/clock.js';
import { Engine } from '../../src/core/engine/engine.js';
import { foldEvents } from '../../src/core/engine/state.js';
import { topology } from '../../src/core/graph/topology.js';
import { asRunId } from '../../src/core/ids.js';
import { openDatabase, type SqliteStore } from '../../src/host/store/index.js';
import { StatepipeService } from '../../src/host/service.js';
import type { ResumeBuildResult, ResumeResult } from './cases.js';
import { buildGraph } from './graphs.js';
import { median } from './stats.js';
import { TimedStore } from './timed-store.js';

const dbFile = (dir: string): string => path.join(dir, 'resume.db');
const half = (nodes: number): string => `n${Math.floor(nodes / 2)}`;

export async function resumeBuild(spec: { nodes: number; runs: number; dir: string }): Promise<ResumeBuildResult> {
  const t0 = performance.now();
  const sqlite = openDatabase(dbFile(spec.dir), { synchronous: 'NORMAL' });
  sqlite.db.pragma('synchronous = OFF'); // building the fixture only: not measured
  const graph = buildGraph({ shape: 'chain', n: spec.nodes });
  const stop = half(spec.nodes);
  const runIds: string[] = [];
  let eventsPerRun = 0;
  for (let r = 0; r < spec.runs; r++) {
    const store = new TimedStore(sqlite);
    store.afterAppend = (events) => {
      if (events.some((e) => e.type === 'node.started' && e.nodeId === stop)) throw new Error('simulated crash');
    };
    const engine = new Engine({
      store,
      clock: realClock,
      runners: {},
      owner: { id: 'bench-build' },
      controlPollMs: 60_000,
    });
    const runId = await engine.createRun(graph, {}, { graphHash: 'resume' });
    try {
      await engine.drive(runId);
      throw new Error('the fixture run was expected to crash');
    } catch (err) {
      if ((err as Error).message !== 'simulated crash') throw err;
    }
    runIds.push(runId);
    eventsPerRun = (await sqlite.loadRun(runId)).events.length;
  }
  sqlite.db.pragma('wal_checkpoint(TRUNCATE)');
  await sqlite.close();
  return { kind: 'resume-build', runIds, eventsPerRun, buildMs: performance.now() - t0 };
}

/**
 * Resolves with the time the first node resumed work (`node.started`) in `runId` is committed.
 * (The fixture's crash may come after node `nodeId` committed its whole end — in-process nodes
 * commit start and end together — so the first node to start on resume is it or the next one.)
 */
function firstStart(service: StatepipeService, runId: string, _nodeId: string): Promise<number> {
  return new Promise((resolve) => {
    const off = service.subscribe((events) => {
      if (events.some((e) => e.runId === runId && e.type === 'node.started')) {
        const t = performance.now();
        off();
        resolve(t);
      }
    });
  });
}

async function timedResume(service: StatepipeService, runId: string, nodeId: string, how: 'resume' | 'drive') {
  const started = firstStart(service, runId, nodeId);
  const t0 = performance.now();
  const done = how === 'resume' ? service.resume(runId) : service.drive(runId);
  const first = (await started) - t0;
  const out = await done;
  if (out.status !== 'succeeded') throw new Error(`resumed run ended ${out.status}`);
  return { first, full: performance.now() - t0 };
}

export async function resumeCase(spec: { nodes: number; dir: string; runIds: string[] }): Promise<ResumeResult> {
  const [runA, runB, runC] = spec.runIds;
  if (!runA || !runB || !runC) throw new Error('resume: three fixture runs are needed');
  const stop = half(spec.nodes);

  let t0 = performance.now();
  const service = await StatepipeService.open({ dbPath: dbFile(spec.dir), synchronous: 'FULL' });
  const openMs = performance.now() - t0;

  t0 = performance.now();
  const marked = await service.recoverInterrupted();
  const recoverScanMs = (performance.now() - t0) / Math.max(1, marked.length);

  const cold = await timedResume(service, runA, stop, 'resume');
  const warm = await timedResume(service, runB, stop, 'resume');

  // Where the time goes, on the third run's log (reads only).
  const store = service.store as SqliteStore;
  const id = asRunId(runC);
  const loads: number[] = [];
  const folds: number[] = [];
  const topos: number[] = [];
  const parses: number[] = [];
  let eventsInLog = 0;
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    const { graph, events } = await store.loadRun(id);
    loads.push(performance.now() - t);
    eventsInLog = events.length;
    t = performance.now();
    foldEvents(id, graph, events);
    folds.push(performance.now() - t);
    t = performance.now();
    topology(graph);
    topos.push(performance.now() - t);
    const rows = store.db
      .prepare('SELECT data FROM events WHERE run_id = ? ORDER BY seq')
      .pluck()
      .all(runC) as string[];
    t = performance.now();
    for (const r of rows) JSON.parse(r);
    parses.push(performance.now() - t);
  }
  const drive = await timedResume(service, runC, stop, 'drive');

  // The remainder's own cost: a fresh chain of the remaining nodes, same process, same file.
  const remainder = buildGraph({ shape: 'chain', n: spec.nodes - Math.floor(spec.nodes / 2) });
  const engine = new Engine({ store, clock: realClock, runners: {}, owner: { id: 'bench-fresh' }, controlPollMs: 200 });
  t0 = performance.now();
  await engine.start(remainder, {}, { graphHash: 'remainder' });
  const freshRemainderMs = performance.now() - t0;
  await service.close();

  return {
    kind: 'resume',
    nodes: spec.nodes,
    eventsInLog,
    openMs,
    recoverScanMs,
    firstNodeColdMs: cold.first,
    firstNodeWarmMs: warm.first,
    driveFirstNodeWarmMs: drive.first,
    fullResumeMs: median([cold.full, warm.full, drive.full]),
    freshRemainderMs,
    breakdown: {
      loadRunMs: median(loads),
      foldMs: median(folds),
      topologyMs: median(topos),
      eventsParseMs: median(parses),
    },
  };
}
