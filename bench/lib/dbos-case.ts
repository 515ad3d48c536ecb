/**
 * statepipe against DBOS Transact (`@dbos-inc/dbos-sdk`, a dev dependency) on the same PostgreSQL
 * server, each in its own database and its own process:
 * - DBOS: a workflow of `steps` no-op steps (`DBOS.runStep`; each step's result is checkpointed
 *   in the system database, one transaction per step), started and awaited;
 * - statepipe: a run of a chain of `steps` nodes through the service (createRun + drive on the
 *   PostgreSQL store): pure `transform` nodes (group commit), or `http` GETs to a server on
 *   127.0.0.1 (effects: each node's start is durable before its request, its end after) whose own
 *   time (raw GETs from this process, timed after each run) is subtracted.
 * µs per step = wall time of a run / steps, median over the repetitions.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Graph } from '../../src/core/graph/schema.js';
import { validateGraph } from '../../src/core/graph/validate.js';
import { StatepipeService } from '../../src/host/service.js';
import type { ChainFlavor, StepsResult, StepsSpec } from './cases.js';
import { getSamples, localServer } from './local-get.js';
import { median, repeat } from './stats.js';

export type { ChainFlavor, StepsResult, StepsSpec };

function chain(steps: number, effects: boolean, url: string): Graph {
  const nodes = Array.from({ length: steps }, (_, i) =>
    effects
      ? { id: `n${i}`, type: 'http', config: { method: 'GET', url } }
      : { id: `n${i}`, type: 'transform', config: { template: `n${i}` } },
  );
  const edges = nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: `n${i}`, target: n.id }));
  return validateGraph({
    format: 'statepipe.graph',
    version: 1,
    id: `bench-steps-${effects ? 'http' : 'pure'}-${steps}`,
    nodes,
    edges,
  });
}

async function statepipeSteps(spec: StepsSpec): Promise<StepsResult> {
  const server = await localServer();
  const target = server.url;
  const svc = await StatepipeService.open({ dbPath: spec.url, ownerName: 'bench' });
  const effects = spec.flavor === 'effects';
  const graph = chain(spec.steps, effects, target);
  try {
    for (let i = 0; i < 10; i++) await svc.startRun(chain(20, effects, target), {});
    const walls: number[] = [];
    // The GET alone, after each run (as the SQLite chains and Restate's steps are timed).
    const gets: number[] = [];
    let status = '';
    const reps = await repeat(spec.reps.minReps, spec.reps.maxReps, spec.reps.minMs, async () => {
      const t0 = performance.now();
      status = (await svc.startRun(graph, {})).status;
      walls.push(performance.now() - t0);
      if (effects) gets.push(...(await getSamples(target, 100)));
    });
    const effectUs = effects ? median(gets) : undefined;
    const wallMs = median(walls);
    const usPerStep = (wallMs * 1000) / spec.steps - (effectUs ?? 0);
    return {
      kind: 'pg-steps',
      flavor: spec.flavor,
      steps: spec.steps,
      reps,
      wallMs,
      usPerStep,
      ...(effectUs === undefined ? {} : { effectUs }),
      status,
    };
  } finally {
    await svc.close();
    await server.close();
  }
}

async function dbosSteps(spec: StepsSpec): Promise<StepsResult> {
  let mod: typeof import('@dbos-inc/dbos-sdk');
  try {
    mod = await import('@dbos-inc/dbos-sdk');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      kind: 'pg-steps',
      flavor: 'dbos',
      steps: spec.steps,
      reps: 0,
      wallMs: NaN,
      usPerStep: NaN,
      status: 'n/a',
      note: `not available: ${why}`,
    };
  }
  const { DBOS } = mod;
  const noop = async (): Promise<number> => 0;
  const workflow = DBOS.registerWorkflow(
    async (steps: number): Promise<number> => {
      let sum = 0;
      for (let i = 0; i < steps; i++) sum += await DBOS.runStep(noop, { name: `step${i}` });
      return sum;
    },
    { name: 'noopSteps' },
  );
  DBOS.setConfig({ name: 'statepipe-bench', systemDatabaseUrl: spec.url, logLevel: 'error' });
  await DBOS.launch();
  try {
    for (let i = 0; i < 10; i++) await workflow(20);
    const walls: number[] = [];
    const reps = await repeat(spec.reps.minReps, spec.reps.maxReps, spec.reps.minMs, async () => {
      const t0 = performance.now();
      await workflow(spec.steps);
      walls.push(performance.now() - t0);
    });
    const wallMs = median(walls);
    // The package's exports hide its package.json: read it next to its entry point (dist/src/index.js).
    const entry = createRequire(import.meta.url).resolve('@dbos-inc/dbos-sdk');
    const pkg = path.join(path.dirname(entry), '..', '..', 'package.json');
    const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
    return {
      kind: 'pg-steps',
      flavor: 'dbos',
      steps: spec.steps,
      reps,
      wallMs,
      usPerStep: (wallMs * 1000) / spec.steps,
      status: 'succeeded',
      note: `@dbos-inc/dbos-sdk ${version}`,
    };
  } finally {
    await DBOS.shutdown();
  }
}

export function stepsCase(spec: StepsSpec): Promise<StepsResult> {
  return spec.flavor === 'dbos' ? dbosSteps(spec) : statepipeSteps(spec);
}
