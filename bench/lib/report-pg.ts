/** The PostgreSQL part of the report: the engine against a raw INSERT transaction, and the dashboard at scale. */
import type { DashboardResult, EngineResult, PgRawResult, Target } from './cases.js';
import { graphKey, graphLabel } from './graphs.js';
import { renderScaleOut, scaleOutTargets, type ScaleOutCollected } from './report-scaleout.js';
import { f, ratio } from './format.js';

export interface PgCollected {
  /** `PostgreSQL 15.x, fsync=on, synchronous_commit=on`, or why the cases did not run. */
  server: string;
  engine: EngineResult[];
  /** Raw INSERT transactions by graph key (as many as that graph's nodes). */
  raw: Record<string, PgRawResult>;
  dashboard?: DashboardResult;
  scaleOut?: ScaleOutCollected;
}

/**
 * The group-commit engine rows against their graph's raw figure, worst first (as on SQLite: the
 * row with one transaction per transition is information, shown in the table, not the target).
 */
const grouped = (pg: PgCollected) =>
  pg.engine
    .filter((e) => !e.perNode && pg.raw[graphKey(e.graph)])
    .map((e) => ({ e, r: e.usPerNode / pg.raw[graphKey(e.graph)]!.usPerTxn }))
    .sort((a, b) => b.r - a.r);

export function pgTargets(pg: PgCollected | undefined): Target[] {
  const worst = pg ? grouped(pg)[0] : undefined;
  const d = pg?.dashboard;
  const lists = d ? d.queries.filter((q) => q.name.startsWith('listRuns')).sort((a, b) => b.p95Ms - a.p95Ms) : [];
  return [
    {
      name: 'Durable node on PostgreSQL (its transitions committed) vs a raw one-row INSERT transaction (synchronous_commit on)',
      goal: '≤ 2×',
      measured: worst ? `worst ${ratio(worst.r)} (${graphLabel(worst.e.graph)})` : (pg?.server ?? 'n/a'),
      met: worst ? worst.r <= 2 : null,
    },
    {
      name: `PostgreSQL dashboard page (listRuns) p95 at ${f(d?.runs)} runs`,
      goal: '< 50 ms',
      measured: lists[0] ? `worst p95 ${f(lists[0].p95Ms, 2)} ms (${lists[0].name})` : 'n/a',
      met: lists[0] ? lists[0].p95Ms < 50 : null,
    },
    ...scaleOutTargets(pg?.scaleOut),
  ];
}

export function renderPg(pg: PgCollected | undefined): string[] {
  if (!pg) return [];
  const L: string[] = ['## PostgreSQL', '', `Server: ${pg.server}.`, ''];
  if (pg.engine.length > 0) {
    L.push(
      'The engine on the no-op graphs over the PostgreSQL store (each append one round trip: fence, events and projections in one transaction), against a raw one-row INSERT transaction of an event-sized row (one statement, autocommit) on the same server, one per node.',
      '',
      `| graph | store | nodes/s | µs/node | commits | µs/tx | raw µs/tx | vs raw | commit p50/p99 µs | raw p50/p99 µs | reps |`,
      `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    );
    for (const e of pg.engine) {
      const raw = pg.raw[graphKey(e.graph)];
      L.push(
        `| ${graphLabel(e.graph)} | PostgreSQL${e.perNode ? ', one tx per node' : ''} | ${f(e.nodesPerSec)} | ${f(e.usPerNode, 1)} | ${f(e.appends)} | ${f(e.usPerWrite, 1)} | ${raw ? f(raw.usPerTxn, 1) : '—'} | ${raw ? ratio(e.usPerNode / raw.usPerTxn) : '—'} | ${f(e.commit.p50Us, 1)} / ${f(e.commit.p99Us, 1)} | ${raw ? `${f(raw.commit.p50Us, 1)} / ${f(raw.commit.p99Us, 1)}` : '—'} | ${e.reps} |`,
      );
    }
    L.push('');
  }
  L.push(...renderScaleOut(pg.scaleOut));
  const d = pg.dashboard;
  if (d) {
    L.push(
      `### Dashboard queries on PostgreSQL (${f(d.runs)} runs, ${f(d.dbMiB)} MiB database, loaded in ${f(d.insertMs === undefined ? undefined : d.insertMs / 1000, 1)} s)`,
      '',
      '| query (limit 50) | rows | first ms | p50 ms | p95 ms |',
      '| --- | --- | --- | --- | --- |',
      ...d.queries.map(
        (q) => `| ${q.name} | ${f(q.rows)} | ${f(q.firstMs, 2)} | ${f(q.p50Ms, 2)} | ${f(q.p95Ms, 2)} |`,
      ),
      '',
    );
  }
  return L;
}
