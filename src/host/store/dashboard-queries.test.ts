/**
 * The dashboard's queries (listRuns, countRuns) on 3 000 top-level runs and 2 530 child runs
 * (a map of 2 500 items under one run, 30 children under another), enough for both ways a page
 * is found: a filter that matches many runs (≥ 2 000) walks the sort's index, one that matches
 * few is answered by its own index. Lists show top-level runs unless `all` or `parentRunId` says
 * otherwise. Every answer (the page, its child counts, the total) must equal the same filter,
 * sort and page computed in JavaScript over all rows, and no query may read the whole runs table.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../core/ports.js';
import { openDatabase } from './open.js';
import type { SqliteStore } from './sqlite-store.js';
import { tmpDir } from './test-helpers.js';
import type { ListRunsOptions, RunSort } from './types.js';

interface Row {
  run_id: string;
  graph_id: string;
  status: RunStatus;
  created_at: string;
  started_at: string | null;
  duration_ms: number | null;
  tokens: number;
  cost_usd: number;
  input: string;
  parent_run_id: string | null;
  parent_node_id: string | null;
  child_key: number | null;
}

let store: SqliteStore;
let rows: Row[];
let rawPrepare: SqliteStore['db']['prepare'];
const executed: { sql: string; params: unknown[] }[] = [];

beforeAll(() => {
  store = openDatabase(path.join(tmpDir(), 'dash.db'));
  const db = store.db;
  const t = '2026-01-01T00:00:00.000Z';
  for (const g of ['g-a', 'g-b', 'g-c']) {
    db.prepare('INSERT INTO graphs VALUES (?, ?, 1, ?, ?)').run(g, g, t, t);
    db.prepare(
      "INSERT INTO graph_versions (graph_id, version, hash, json, created_at) VALUES (?, 1, 'h', '{}', ?)",
    ).run(g, t);
  }
  const ins = db.prepare(`INSERT INTO runs (run_id, graph_id, graph_version, graph_hash, status, input, created_at,
    started_at, duration_ms, tokens, cost_usd, parent_run_id, parent_node_id, child_key) VALUES (@run_id, @graph_id, 1,
    'h', @status, @input, @created_at, @started_at, @duration_ms, @tokens, @cost_usd, @parent_run_id, @parent_node_id,
    @child_key)`);
  rows = [];
  /** Runs 3000…5499 are the items of run_00010's map, 5500…5529 the children of run_00020's loop. */
  const parentOf = (i: number): Pick<Row, 'parent_run_id' | 'parent_node_id' | 'child_key'> =>
    i < 3000
      ? { parent_run_id: null, parent_node_id: null, child_key: null }
      : i < 5500
        ? { parent_run_id: 'run_00010', parent_node_id: 'each', child_key: i - 3000 }
        : { parent_run_id: 'run_00020', parent_node_id: 'again', child_key: i - 5500 };
  db.transaction(() => {
    for (let i = 0; i < 5530; i++) {
      const status: RunStatus = i % 10 === 3 ? 'failed' : i % 50 === 7 ? 'waiting' : 'succeeded';
      const row: Row = {
        run_id: `run_${String(i).padStart(5, '0')}`,
        graph_id: i % 100 === 1 ? 'g-c' : i % 7 === 0 ? 'g-b' : 'g-a',
        status,
        // Equal creation times in pairs and repeated costs: the ties must be broken by run id.
        created_at: new Date(Date.parse(t) + Math.floor(i / 2) * 60_000).toISOString(),
        started_at: status === 'waiting' ? null : new Date(Date.parse(t) + i * 60_000 + 500).toISOString(),
        duration_ms: status === 'waiting' ? null : (i * 7919) % 100_000,
        tokens: (i * 104_729) % 5000,
        cost_usd: ((i * 31) % 97) / 100,
        input: JSON.stringify({ customer: i % 1000 === 5 ? 'Umbrella' : 'Acme corp', n: i }),
        ...parentOf(i),
      };
      ins.run(row);
      rows.push(row);
    }
  })();
  // Every statement the store prepares from here on, and the parameters it runs with.
  rawPrepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const st = rawPrepare(sql);
    for (const m of ['all', 'get'] as const) {
      const run = st[m].bind(st) as (...p: unknown[]) => unknown;
      (st as unknown as Record<string, unknown>)[m] = (...params: unknown[]) => {
        executed.push({ sql, params });
        return run(...params);
      };
    }
    return st;
  }) as typeof db.prepare;
});
afterAll(() => store.close());

const COLUMN: Record<RunSort, keyof Row> = {
  created: 'created_at',
  started: 'started_at',
  cost: 'cost_usd',
  tokens: 'tokens',
  duration: 'duration_ms',
  status: 'status',
  graph: 'graph_id',
};

/** SQLite's order: NULL before any value. */
const cmp = (a: unknown, b: unknown): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : (a as number | string) < (b as number | string) ? -1 : 1;

function expected(o: ListRunsOptions): string[] {
  const statuses = o.status === undefined ? [] : Array.isArray(o.status) ? o.status : [o.status];
  const text = o.text?.toLowerCase();
  const sort = o.sort ?? 'created';
  const dir = o.order === 'asc' ? 1 : -1;
  return matching(o)
    .filter((r) => statuses.length === 0 || statuses.includes(r.status))
    .filter((r) => o.graphId === undefined || r.graph_id === o.graphId)
    .filter((r) => !text || `${r.run_id} ${r.graph_id} ${r.input}`.toLowerCase().includes(text))
    .sort(
      (a, b) =>
        dir *
        (cmp(a[COLUMN[sort]], b[COLUMN[sort]]) ||
          (sort === 'status' || sort === 'graph' ? cmp(a.created_at, b.created_at) : 0) ||
          cmp(a.run_id, b.run_id)),
    )
    .slice(o.offset ?? 0, (o.offset ?? 0) + (o.limit ?? 50))
    .map((r) => r.run_id);
}

/** Top-level runs, every run (`all`) or one run's children (`parentRunId`). */
const matching = (o: ListRunsOptions): Row[] =>
  rows.filter((r) =>
    o.parentRunId !== undefined ? r.parent_run_id === o.parentRunId : o.all === true || r.parent_run_id === null,
  );

/** A run's children counted by status, as the summary's `children` (absent without any). */
function childCounts(runId: string): Partial<Record<RunStatus, number>> | undefined {
  const counts: Partial<Record<RunStatus, number>> = {};
  for (const r of rows) if (r.parent_run_id === runId) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return Object.keys(counts).length > 0 ? counts : undefined;
}

const CASES: ListRunsOptions[] = [
  {},
  { sort: 'started' },
  { sort: 'cost', order: 'asc' },
  { sort: 'tokens' },
  { sort: 'duration', offset: 2500 },
  { sort: 'status' },
  { sort: 'graph', order: 'asc', offset: 100 },
  { status: 'succeeded', sort: 'cost' },
  { status: ['succeeded', 'waiting'], offset: 1200 },
  { status: 'failed' },
  { status: 'waiting', sort: 'duration' },
  { graphId: 'g-a', sort: 'tokens' },
  { graphId: 'g-c' },
  { status: 'failed', graphId: 'g-b', sort: 'cost' },
  { text: 'acme' },
  { text: 'acme', status: 'succeeded', sort: 'cost' },
  // Text that many runs contain, in another case: a page walked with the text checked on each entry.
  { text: 'ACME', sort: 'tokens' },
  { text: 'Acme', status: 'succeeded', order: 'asc', offset: 60 },
  { text: 'umbrella' },
  { text: 'umbrella', status: ['failed', 'succeeded'], sort: 'duration' },
  { text: 'run_0012', order: 'asc' },
  { all: true },
  { all: true, sort: 'cost', offset: 4000 },
  { all: true, status: 'waiting', sort: 'started' },
  { all: true, graphId: 'g-c' },
  { all: true, text: 'acme', order: 'asc' },
  { all: true, text: 'umbrella' },
  { parentRunId: 'run_00010' },
  { parentRunId: 'run_00010', sort: 'duration', offset: 1000 },
  { parentRunId: 'run_00010', status: 'failed', sort: 'tokens' },
  { parentRunId: 'run_00010', text: 'umbrella' },
  { parentRunId: 'run_00020', order: 'asc', limit: 100 },
  { parentRunId: 'run_00020', status: 'succeeded' },
  { parentRunId: 'run_00020', sort: 'graph' },
  { parentRunId: 'run_99999' },
];

const planOf = (sql: string, params: unknown[]): string =>
  (rawPrepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('dashboard queries', () => {
  it.each(CASES.map((c) => [JSON.stringify(c), c] as const))(
    '%s: the right page, its children and parents, the count',
    async (_, o) => {
      const page = await store.listRuns(o);
      expect(page.map((r) => r.runId)).toEqual(expected(o));
      const byId = new Map(rows.map((r) => [r.run_id, r]));
      for (const r of page) {
        const row = byId.get(r.runId)!;
        expect(r.children).toEqual(childCounts(r.runId));
        expect(r.parent).toEqual(
          row.parent_run_id === null
            ? undefined
            : { runId: row.parent_run_id, nodeId: row.parent_node_id, key: row.child_key },
        );
      }
      expect(await store.countRuns(o)).toBe(expected({ ...o, offset: 0, limit: rows.length }).length);
    },
  );

  it("a run's summary counts its 2 500 children by status", async () => {
    const [withMap] = await store.listRuns({ text: 'run_00010', limit: 1 });
    expect(withMap?.children).toEqual(childCounts('run_00010'));
    expect(Object.values(withMap!.children!).reduce((a, b) => a + b, 0)).toBe(2500);
  });

  it('never reads the whole runs table; a filter matching many runs walks the sort index', async () => {
    executed.length = 0;
    for (const o of CASES) {
      await store.listRuns(o);
      await store.countRuns(o);
    }
    expect(executed.length).toBeGreaterThan(CASES.length * 2);
    for (const { sql, params } of [...executed]) {
      const plan = planOf(sql, params);
      expect(plan, sql).not.toMatch(/SCAN runs\b(?! USING COVERING INDEX)/);
    }
    executed.length = 0;
    await store.listRuns({ status: 'succeeded', sort: 'cost' });
    const page = executed.find((e) => e.sql.includes('ORDER BY'))!;
    expect(planOf(page.sql, page.params)).toMatch(/SCAN runs USING COVERING INDEX runs_by_cost/);
    // The child counts of a page, and a run's few children, come from the parent's index alone.
    const counts = executed.find((e) => e.sql.includes('GROUP BY parent_run_id'))!;
    expect(planOf(counts.sql, counts.params)).toMatch(/COVERING INDEX runs_by_parent/);
    executed.length = 0;
    await store.listRuns({ parentRunId: 'run_00020' });
    const few = executed.find((e) => e.sql.includes('ORDER BY'))!;
    expect(planOf(few.sql, few.params)).toMatch(/COVERING INDEX runs_by_parent/);
  });

  // Last, as it changes the rows: with few child runs, free text alone is counted on the text
  // index less the children among its matches (walking the children's index, not every run's).
  it('with few child runs, counts free text as the text index less the children it matches', async () => {
    store.db.prepare("DELETE FROM runs WHERE parent_run_id = 'run_00010'").run();
    rows = rows.filter((r) => r.parent_run_id !== 'run_00010');
    store.db.prepare("UPDATE runs SET input = '\"Acme corp\"' WHERE parent_run_id = 'run_00020'").run();
    for (const r of rows) if (r.parent_run_id === 'run_00020') r.input = '"Acme corp"';
    executed.length = 0;
    for (const o of [{ text: 'acme' }, { text: 'acme', all: true }, { text: 'corp', parentRunId: 'run_00020' }]) {
      expect(await store.countRuns(o), JSON.stringify(o)).toBe(expected({ ...o, limit: rows.length }).length);
      expect((await store.listRuns(o)).map((r) => r.runId)).toEqual(expected(o));
    }
    expect(executed.some((e) => e.sql.includes('parent_run_id IS NOT NULL\n'))).toBe(true);
    for (const { sql, params } of executed)
      expect(planOf(sql, params), sql).not.toMatch(/SCAN runs\b(?! USING COVERING INDEX)/);
  });
});
