/**
 * The real path of effectful nodes, on SQLite at synchronous FULL: a chain of `delay` nodes with
 * `ms: 0` (a durable wait: its start commits with its end time; its timer is the effect), of
 * `http` GETs to a server on 127.0.0.1 (a read: the request goes out while its start is written)
 * or of `http` PUTs (idempotent, not a read: its start durable before the request). Each run is
 * timed whole; the effect's own time, measured from this process after each run (100
 * `setTimeout(0)`, 100 raw requests with the same client as the node), is subtracted: what remains per node is what the engine and
 * its commits cost.
 */
import path from 'node:path';
import { realClock } from '../../src/core/engine/clock.js';
import { Engine } from '../../src/core/engine/engine.js';
import type { Graph } from '../../src/core/graph/schema.js';
import { validateGraph } from '../../src/core/graph/validate.js';
import { httpRunner } from '../../src/host/runners/http.js';
import { openDatabase } from '../../src/host/store/index.js';
import { CHAIN_WARM_RUNS, getSamples, localServer } from './local-get.js';
import { median, repeat, type Reps } from './stats.js';
import { TimedStore } from './timed-store.js';

export type EffectFlavor = 'delay' | 'http' | 'put';

export interface EffectSpec {
  kind: 'effects';
  flavor: EffectFlavor;
  nodes: number;
  /** EngineDeps.commitLingerMs: the hosts' (COMMIT_LINGER_MS), or 0 (a transaction per node). */
  lingerMs: number;
  reps: Reps;
  dir: string;
}

export interface EffectResult {
  kind: 'effects';
  flavor: EffectFlavor;
  nodes: number;
  lingerMs: number;
  reps: number;
  status: string;
  /** Median wall time of a run (createRun to its end). */
  wallMs: number;
  usPerNode: number;
  /** The effect alone, µs (median, timed after each run): a `setTimeout(0)` for delay, a raw GET or PUT. */
  effectUs: number;
  /** usPerNode − effectUs. */
  beyondUs: number;
  /** Store appends (transactions) per node. */
  commitsPerNode: number;
  /** CPU (user + system) of this process per node, µs: the engine, the store, the GET's both ends. */
  cpuUsPerNode: number;
}

function chain(flavor: EffectFlavor, n: number, url: string): Graph {
  const nodes = Array.from({ length: n }, (_, i) =>
    flavor === 'delay'
      ? { id: `n${i}`, type: 'delay', config: { ms: 0 } }
      : { id: `n${i}`, type: 'http', config: { method: flavor === 'put' ? 'PUT' : 'GET', url } },
  );
  const edges = nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: `n${i}`, target: node.id }));
  return validateGraph({ format: 'statepipe.graph', version: 1, id: `bench-${flavor}-${n}`, nodes, edges });
}

/** Times of `n` `setTimeout(0)` (the delay runner's sleep of 0 ms), µs. */
async function timerSamples(n: number): Promise<number[]> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await realClock.sleep(0);
    xs.push((performance.now() - t0) * 1000);
  }
  return xs;
}

export async function effectCase(spec: EffectSpec): Promise<EffectResult> {
  const server = await localServer();
  const db = openDatabase(path.join(spec.dir, `effects-${spec.flavor}.db`), { synchronous: 'FULL' });
  const graph = chain(spec.flavor, spec.nodes, server.url);
  const once = async (g: Graph) => {
    const store = new TimedStore(db);
    const engine = new Engine({
      store,
      clock: realClock,
      runners: { http: httpRunner },
      owner: { id: 'bench' },
      controlPollMs: 60_000,
      commitLingerMs: spec.lingerMs,
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await engine.start(g, {}, { graphHash: g.id });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { status: out.status, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, appends: store.appends };
  };
  try {
    // Warmed on the chain itself, as a long-lived host is (its JIT tiers): what is timed is the steady
    // state, not the compiler's first passes (the other side, Restate's SDK, is warmed alike).
    for (let i = 0; i < CHAIN_WARM_RUNS; i++) await once(graph);
    const walls: number[] = [];
    const cpus: number[] = [];
    let appends = 0;
    let status = '';
    // The effect alone is timed after each run: paired with the runs, not with a later machine.
    const effects: number[] = [];
    const reps = await repeat(spec.reps.minReps, spec.reps.maxReps, spec.reps.minMs, async () => {
      const r = await once(graph);
      if (r.status !== 'succeeded') throw new Error(`effects ${spec.flavor}: the chain's run ${r.status}`);
      walls.push(r.wallMs);
      cpus.push(r.cpuMs);
      appends = r.appends;
      status = r.status;
      const method = spec.flavor === 'put' ? 'PUT' : 'GET';
      effects.push(
        ...(spec.flavor === 'delay' ? await timerSamples(100) : await getSamples(server.url, 100, 20, method)),
      );
    });
    const effectUs = median(effects);
    const wallMs = median(walls);
    const usPerNode = (wallMs * 1000) / spec.nodes;
    return {
      kind: 'effects',
      flavor: spec.flavor,
      nodes: spec.nodes,
      lingerMs: spec.lingerMs,
      reps,
      status,
      wallMs,
      usPerNode,
      effectUs,
      beyondUs: usPerNode - effectUs,
      commitsPerNode: appends / spec.nodes,
      cpuUsPerNode: (median(cpus) * 1000) / spec.nodes,
    };
  } finally {
    await db.close();
    await server.close();
  }
}
