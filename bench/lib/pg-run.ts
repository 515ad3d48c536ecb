/**
 * The PostgreSQL cases of the bench, on a cluster of the machine's binaries (test/pg/cluster.ts)
 * with durable commits (fsync and synchronous_commit on, as a production server has them), one
 * database per case: the engine with group commit (and one transaction per node on the first
 * graph) beside a raw INSERT transaction per node, then the dashboard at scale.
 */
import pg from 'pg';
import { startCluster, type Cluster } from '../../test/pg/cluster.js';
import type { CaseResult, CaseSpec, DashboardResult, EngineResult, PgRawResult, Reps } from './cases.js';
import { graphKey, graphLabel, type GraphSpec } from './graphs.js';
import type { PgCollected } from './report-pg.js';
import { scaleOutCases, type ScaleOutPlan } from './scaleout-run.js';

export interface PgPlan {
  graphs: GraphSpec[];
  reps: Reps;
  dashboard: { runs: number; reps: number };
  scaleOut: ScaleOutPlan;
}

type RunCase = <R extends CaseResult>(label: string, spec: CaseSpec, timeoutMs?: number) => Promise<R | undefined>;

/** `parts.core`: the engine and dashboard cases (`--only pg`); `parts.scaleOut`: workers and DBOS (`--only pg` or `scaleout`). */
export async function pgCases(
  plan: PgPlan,
  runCase: RunCase,
  failures: string[],
  parts: { core: boolean; scaleOut: boolean },
): Promise<PgCollected> {
  let cluster: Cluster;
  try {
    cluster = await startCluster({ durable: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    failures.push(`PostgreSQL cases skipped: ${why}`);
    return { server: `not run: ${why}`, engine: [], raw: {} };
  }
  const out: PgCollected = { server: 'PostgreSQL', engine: [], raw: {} };
  const admin = new pg.Client({ connectionString: cluster.url });
  try {
    await admin.connect();
    const v = await admin.query(
      "SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, current_setting('synchronous_commit') AS s",
    );
    const row = v.rows[0] as { v: string; f: string; s: string };
    out.server = `PostgreSQL ${row.v} (fsync=${row.f}, synchronous_commit=${row.s})`;
    let n = 0;
    const database = async (): Promise<string> => {
      const name = `bench_${n++}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return cluster.url.replace(/\/postgres$/, `/${name}`);
    };
    for (const g of parts.core ? plan.graphs : []) {
      for (const perNode of g === plan.graphs[0] ? [false, true] : [false]) {
        const e = await runCase<EngineResult>(
          `engine ${graphLabel(g)} PostgreSQL${perNode ? ' one tx per node' : ''}`,
          {
            kind: 'engine',
            mode: 'postgres',
            graph: g,
            reps: plan.reps,
            dir: '',
            url: await database(),
            ...(perNode ? { perNode } : {}),
          },
        );
        if (!e) continue;
        out.engine.push(e);
        if (perNode) continue;
        const raw = await runCase<PgRawResult>(`raw PostgreSQL INSERT × ${e.nodes} tx`, {
          kind: 'pg-raw',
          url: await database(),
          txns: e.nodes,
          reps: plan.reps,
          dir: '',
        });
        if (raw) out.raw[graphKey(g)] = raw;
      }
    }
    if (parts.scaleOut) out.scaleOut = await scaleOutCases(plan.scaleOut, runCase, database);
    if (!parts.core) return out;
    const d = await runCase<DashboardResult>(
      `dashboard on PostgreSQL (${plan.dashboard.runs} runs)`,
      { kind: 'pg-dashboard', url: await database(), ...plan.dashboard, dir: '' },
      1_200_000,
    );
    if (d) out.dashboard = d;
  } catch (err) {
    failures.push(`PostgreSQL cases: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await admin.end().catch(() => undefined);
    await cluster.stop();
  }
  return out;
}
