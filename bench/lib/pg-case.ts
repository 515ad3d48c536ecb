/**
 * PostgreSQL cases, on a cluster of the machine's binaries started by the orchestrator with
 * durable commits (fsync and synchronous_commit on):
 * - the physical limit: a raw one-row INSERT transaction (one statement, autocommit, one round
 *   trip) of an event-sized row, as many as the engine's nodes;
 * - dashboard queries at `runs` runs (1 000 000 in the full bench): rows loaded with SQL into the
 *   real schema (the migrations of src/host/store/pg), then `store.listRuns` / `countRuns` for each
 *   filter and sort, p50/p95 over `reps` calls after one unmeasured call.
 */
import pg from 'pg';
import { openPostgres } from '../../src/host/store/pg/open.js';
import type { ListRunsOptions } from '../../src/host/store/types.js';
import type { DashboardResult, PgRawResult, Reps } from './cases.js';
import { latency, median, queryTimer, repeat } from './stats.js';

const DATA = JSON.stringify({ attempt: 1, durationMs: 0, output: 'n123' });

export async function pgRawCase(spec: { url: string; txns: number; reps: Reps }): Promise<PgRawResult> {
  const c = new pg.Client({ connectionString: spec.url });
  await c.connect();
  await c.query(`CREATE TABLE IF NOT EXISTS bench_raw_events (
    run_id text NOT NULL, seq bigint NOT NULL, ts timestamptz NOT NULL, type text NOT NULL,
    node_id text, data text NOT NULL, PRIMARY KEY (run_id, seq))`);
  const settings = await c.query("SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s");
  let runNo = 0;
  const once = async (n: number, samples?: number[]): Promise<number> => {
    const run = `run_${process.pid}_${runNo++}`;
    const t0 = performance.now();
    for (let i = 1; i <= n; i++) {
      const s = samples ? performance.now() : 0;
      await c.query({
        name: 'raw-insert',
        text: 'INSERT INTO bench_raw_events (run_id, seq, ts, type, node_id, data) VALUES ($1, $2, $3, $4, $5, $6)',
        values: [run, i, new Date().toISOString(), 'node.succeeded', `n${i}`, DATA],
      });
      if (samples) samples.push(performance.now() - s);
    }
    return performance.now() - t0;
  };
  await once(Math.min(300, spec.txns));
  const walls: number[] = [];
  const samples: number[] = [];
  const reps = await repeat(spec.reps.minReps, spec.reps.maxReps, spec.reps.minMs, async () => {
    walls.push(await once(spec.txns, samples));
  });
  await c.end();
  const row = settings.rows[0] as { f: string; s: string };
  return {
    kind: 'pg-raw',
    txns: spec.txns,
    reps,
    usPerTxn: (median(walls) * 1000) / spec.txns,
    commit: latency(samples),
    settings: `fsync=${row.f}, synchronous_commit=${row.s}`,
  };
}

/**
 * Bulk load: the indexes of the loaded tables are dropped, the rows inserted with one statement
 * each (generate_series), and the indexes built again, as a restore would; then VACUUM ANALYZE,
 * as autovacuum leaves a table that has settled.
 */
async function populate(c: pg.Client, runs: number): Promise<string> {
  await c.query("SET maintenance_work_mem = '256MB'");
  const { rows } = await c.query(
    `SELECT indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'statepipe' AND tablename IN ('runs', 'run_search', 'events') AND indexname NOT LIKE '%_pkey'`,
  );
  const indexes = rows as { indexname: string; indexdef: string }[];
  for (const i of indexes) await c.query(`DROP INDEX statepipe.${i.indexname}`);
  await c.query('ALTER TABLE statepipe.runs DISABLE TRIGGER runs_search');
  await c.query(`INSERT INTO statepipe.graphs (graph_id, name, latest_version, created_at, updated_at)
      SELECT 'graph-' || lpad(g::text, 2, '0'), 'graph ' || g, 1, now(), now() FROM generate_series(0, 24) g`);
  await c.query(`INSERT INTO statepipe.graph_versions (graph_id, version, hash, json, created_at)
      SELECT graph_id, 1, 'hash-' || graph_id, '{"format":"statepipe.graph","version":1,"nodes":[],"edges":[]}', now()
        FROM statepipe.graphs`);
  // A realistic mix: 70 % succeeded, 10 % failed, then cancelled, waiting, paused, interrupted, running.
  await c.query(
    `INSERT INTO statepipe.runs (run_id, graph_id, graph_version, graph_hash, status, input, result, created_at,
         started_at, finished_at, duration_ms, tokens, input_tokens, output_tokens, cost_usd, last_seq)
       SELECT 'run_' || lpad(i::text, 8, '0'), 'graph-' || lpad((h % 25)::text, 2, '0'), 1, 'hash', st,
              '{"customer":"customer ' || (h % 50000) || '","text":"invoice ' || i || ' for the quarter"}',
              CASE WHEN fin THEN '{"ok":true,"summary":"done ' || i || '"}' END,
              t, t, CASE WHEN fin THEN t + (h % 600000) * interval '1 ms' END, CASE WHEN fin THEN h % 600000 END,
              h % 60000, h % 50000, h % 10000, (h % 2000000) / 1000000.0, 1
         FROM (SELECT i, abs(hashint4(i)::bigint) AS h, timestamptz '2026-01-01' + i * interval '30 s' AS t,
                      (ARRAY['succeeded','succeeded','succeeded','succeeded','succeeded','succeeded','succeeded',
                             'failed','failed','cancelled','waiting','paused','interrupted','running'])[1 + i % 14] AS st
                 FROM generate_series(1, $1) i) s,
              LATERAL (SELECT st IN ('succeeded', 'failed', 'cancelled') AS fin) f`,
    [runs],
  );
  await c.query(`INSERT INTO statepipe.run_search (run_id, text)
      SELECT run_id, run_id || ' ' || graph_id || ' ' || coalesce(input, '') || ' ' || coalesce(result, '') || ' ' || coalesce(error, '')
        FROM statepipe.runs`);
  await c.query(`INSERT INTO statepipe.events (run_id, seq, ts, type, node_id, data)
      SELECT run_id, 1, created_at, 'node.succeeded', 'n0', '{"attempt":1,"durationMs":12,"output":"n0 done"}'
        FROM statepipe.runs`);
  await c.query('ALTER TABLE statepipe.runs ENABLE TRIGGER runs_search');
  for (const i of indexes) await c.query(i.indexdef);
  for (const t of ['runs', 'run_search', 'events']) await c.query(`VACUUM ANALYZE statepipe.${t}`);
  return `run_${String(Math.floor(runs / 2)).padStart(8, '0')}`;
}

export async function pgDashboardCase(spec: { url: string; runs: number; reps: number }): Promise<DashboardResult> {
  const t0 = performance.now();
  await (await openPostgres(spec.url)).close(); // the schema, by the migrations
  const c = new pg.Client({ connectionString: spec.url });
  await c.connect();
  const sample = await populate(c, spec.runs);
  const size = await c.query('SELECT pg_database_size(current_database()) AS b');
  await c.end();
  const insertMs = performance.now() - t0;

  const store = await openPostgres(spec.url);
  const lists: [string, ListRunsOptions][] = [
    ['newest 50 (sort created)', {}],
    ['sort started', { sort: 'started' }],
    ['sort cost', { sort: 'cost' }],
    ['sort tokens', { sort: 'tokens' }],
    ['sort duration', { sort: 'duration' }],
    ['sort cost asc', { sort: 'cost', order: 'asc' }],
    ['sort status', { sort: 'status' }],
    ['sort graph asc', { sort: 'graph', order: 'asc' }],
    ['status=failed', { status: 'failed' }],
    ['status in (running, waiting, paused)', { status: ['running', 'waiting', 'paused'] }],
    ['graph=graph-07', { graphId: 'graph-07' }],
    ['text (a customer, in the input)', { text: 'customer 4242"' }],
    ['text (run id fragment)', { text: sample.slice(-6) }],
    ['text (graph id fragment, 2 chars)', { text: '07' }],
    ['status=succeeded, sort cost', { status: 'succeeded', sort: 'cost' }],
    ['graph=graph-07, sort duration', { graphId: 'graph-07', sort: 'duration' }],
    ['status=failed + graph + sort tokens', { status: 'failed', graphId: 'graph-03', sort: 'tokens' }],
    ['text + status=succeeded, sort cost', { text: 'customer 4242"', status: 'succeeded', sort: 'cost' }],
    ['a day (from/to)', { from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' }],
    ['page 100 (offset 5000)', { offset: 5000 }],
    ['page 100 sort duration', { sort: 'duration', offset: 5000 }],
  ];
  const { queries, time, lists: timeLists } = queryTimer<ListRunsOptions>(spec.reps);
  await timeLists(store, lists);
  await time('countRuns status=waiting', () => store.countRuns({ status: 'waiting' }));
  await time('countRuns text', () => store.countRuns({ text: 'customer 4242"' }));
  await time('countRuns graph + a day', () =>
    store.countRuns({ graphId: 'graph-07', from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' }),
  );
  await time('countRuns (all)', () => store.countRuns());
  await time('run detail: getRunRow + eventsSince', async () => {
    await store.getRunRow(sample);
    return (await store.eventsSince(sample, 0)).length;
  });
  await store.close();
  const dbMiB = Number((size.rows[0] as { b: number | string }).b) / 1024 / 1024;
  return { kind: 'dashboard', runs: spec.runs, events: spec.runs, insertMs, dbMiB, queries };
}
