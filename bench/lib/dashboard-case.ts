/**
 * Dashboard queries: `runs` runs and `events` events inserted directly with SQL into the real
 * schema (openDatabase runs the migrations), then `store.listRuns` / `countRuns` with each
 * filter and each sort, timed over `reps` repetitions after one unmeasured call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { newRunId } from '../../src/core/ids.js';
import { prng } from '../../src/core/graph/fixtures.js';
import { openDatabase, type ListRunsOptions, type SqliteStore } from '../../src/host/store/index.js';
import type { DashboardResult } from './cases.js';
import { queryTimer } from './stats.js';

const GRAPHS = 25;
const STATUSES: [string, number][] = [
  ['succeeded', 0.7],
  ['failed', 0.1],
  ['cancelled', 0.05],
  ['waiting', 0.05],
  ['paused', 0.04],
  ['interrupted', 0.03],
  ['running', 0.03],
];
const EVENT_TYPES = ['node.queued', 'node.started', 'node.succeeded'];

function pickStatus(x: number): string {
  let acc = 0;
  for (const [s, p] of STATUSES) if ((acc += p) >= x) return s;
  return 'succeeded';
}

function populate(store: SqliteStore, runs: number, events: number): string[] {
  const db = store.db;
  db.pragma('synchronous = OFF'); // bulk load only
  const rand = prng(99);
  const t = '2026-01-01T00:00:00.000Z';
  const insGraph = db.prepare(
    'INSERT INTO graphs (graph_id, name, latest_version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)',
  );
  const insVersion = db.prepare(
    'INSERT INTO graph_versions (graph_id, version, hash, json, created_at) VALUES (?, 1, ?, ?, ?)',
  );
  const insRun = db.prepare(
    `INSERT INTO runs (run_id, graph_id, graph_version, graph_hash, status, input, result, created_at, started_at,
       finished_at, duration_ms, tokens, input_tokens, output_tokens, cost_usd, last_seq)
     VALUES (?, ?, 1, ?, ?, '{}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insEvent = db.prepare('INSERT INTO events (run_id, seq, ts, type, node_id, data) VALUES (?, ?, ?, ?, ?, ?)');
  const graphIds = Array.from({ length: GRAPHS }, (_, i) => `graph-${String(i).padStart(2, '0')}`);
  db.transaction(() => {
    for (const g of graphIds) {
      insGraph.run(g, g, t, t);
      insVersion.run(
        g,
        `hash-${g}`,
        JSON.stringify({ format: 'statepipe.graph', version: 1, id: g, nodes: [], edges: [] }),
        t,
      );
    }
  })();
  const perRun = Math.floor(events / runs);
  let extra = events - perRun * runs;
  const start = Date.parse('2026-01-01T00:00:00Z');
  const ids: string[] = [];
  const chunk = 250;
  for (let base = 0; base < runs; base += chunk) {
    db.transaction(() => {
      for (let r = base; r < Math.min(runs, base + chunk); r++) {
        const created = start + r * 60_000 + Math.floor(rand() * 30_000);
        const id = newRunId(created, rand);
        ids.push(id);
        const status = pickStatus(rand());
        const finished = status === 'succeeded' || status === 'failed' || status === 'cancelled';
        const duration = finished ? Math.floor(rand() * 600_000) : null;
        const inTok = Math.floor(rand() * 50_000);
        const outTok = Math.floor(rand() * 10_000);
        const n = perRun + (extra-- > 0 ? 1 : 0);
        const iso = new Date(created).toISOString();
        insRun.run(
          id,
          graphIds[Math.floor(rand() * GRAPHS)]!,
          'hash',
          status,
          finished ? '{}' : null,
          iso,
          iso,
          duration === null ? null : new Date(created + duration).toISOString(),
          duration,
          inTok + outTok,
          inTok,
          outTok,
          Math.round(rand() * 2_000_000) / 1_000_000,
          n,
        );
        for (let s = 1; s <= n; s++) {
          const node = `n${Math.floor((s - 1) / 3)}`;
          insEvent.run(
            id,
            s,
            iso,
            EVENT_TYPES[(s - 1) % 3]!,
            node,
            `{"attempt":1,"durationMs":12,"output":"${node} done"}`,
          );
        }
      }
    })();
  }
  db.pragma('synchronous = FULL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return ids;
}

export async function dashboardCase(spec: {
  runs: number;
  events: number;
  reps: number;
  dir: string;
}): Promise<DashboardResult> {
  const file = path.join(spec.dir, 'dashboard.db');
  const t0 = performance.now();
  const loader = openDatabase(file);
  const ids = populate(loader, spec.runs, spec.events);
  loader.close();
  const insertMs = performance.now() - t0;

  const store = openDatabase(file); // a fresh connection, as the studio would have
  const sample = ids[Math.floor(ids.length / 2)]!;
  const lists: [string, ListRunsOptions][] = [
    ['newest 50 (sort created)', {}],
    ['sort started', { sort: 'started' }],
    ['sort cost', { sort: 'cost' }],
    ['sort tokens', { sort: 'tokens' }],
    ['sort duration', { sort: 'duration' }],
    ['sort cost asc', { sort: 'cost', order: 'asc' }],
    ['status=failed', { status: 'failed' }],
    ['status in (running, waiting, paused)', { status: ['running', 'waiting', 'paused'] }],
    ['graph=graph-07', { graphId: 'graph-07' }],
    ['text (run id fragment)', { text: sample.slice(-8) }],
    ['text (graph id fragment)', { text: 'ph-1' }],
    ['status=succeeded, sort cost', { status: 'succeeded', sort: 'cost' }],
    ['graph=graph-07, sort duration', { graphId: 'graph-07', sort: 'duration' }],
    ['status=failed + graph + sort tokens', { status: 'failed', graphId: 'graph-03', sort: 'tokens' }],
    ['text + status=succeeded, sort cost', { text: 'ph-1', status: 'succeeded', sort: 'cost' }],
    ['page 100 (offset 5000)', { offset: 5000 }],
    ['page 100 sort duration', { sort: 'duration', offset: 5000 }],
  ];
  const { queries, time, lists: timeLists } = queryTimer<ListRunsOptions>(spec.reps);
  await timeLists(store, lists);
  await time('countRuns (all)', () => store.countRuns());
  await time('countRuns status=failed', () => store.countRuns({ status: 'failed' }));
  await time('countRuns text', () => store.countRuns({ text: 'ph-1' }));
  await time('run detail: getRunRow + eventsSince', async () => {
    await store.getRunRow(sample);
    return (await store.eventsSince(sample, 0)).length;
  });
  await store.close();
  const dbMiB = fs.statSync(file).size / 1024 / 1024;
  return { kind: 'dashboard', runs: spec.runs, events: spec.events, insertMs, dbMiB, queries };
}
