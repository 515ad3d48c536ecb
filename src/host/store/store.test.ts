import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './open.js';
import type { SqliteStore } from './sqlite-store.js';
import { storeContract } from './store-contract.js';
import { writersContract } from './store-contract-writers.js';
import { tmpDir } from './test-helpers.js';

storeContract(
  'SQLite',
  async () => openDatabase(path.join(tmpDir(), 'sp.db')),
  async (store, sql, ...params) => {
    const st = (store as SqliteStore).db.prepare(sql);
    return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
  },
);

writersContract(
  'SQLite',
  async () => openDatabase(path.join(tmpDir(), 'sp.db')),
  async (s, opts) => openDatabase((s as SqliteStore).file, opts),
);

describe('SQLite store', () => {
  it('uses an index for every dashboard query', async () => {
    const store = openDatabase(path.join(tmpDir(), 'sp.db'));
    const plans: Record<string, string> = {
      dates:
        "SELECT run_id FROM runs WHERE created_at >= '2026' AND created_at < '2027' ORDER BY created_at DESC LIMIT 50",
      statusDates:
        "SELECT run_id FROM runs WHERE status = 'failed' AND created_at >= '2026' ORDER BY created_at DESC LIMIT 50",
      graphDates:
        "SELECT run_id FROM runs WHERE graph_id = 'g' AND created_at < '2027' ORDER BY created_at DESC LIMIT 50",
      countStatus: "SELECT count(*) FROM runs WHERE status = 'failed'",
      statusCost: "SELECT run_id FROM runs WHERE status IN ('failed', 'waiting') ORDER BY cost_usd DESC LIMIT 50",
      status: "SELECT run_id FROM runs WHERE status = 'running' ORDER BY created_at DESC LIMIT 50",
      graph: "SELECT run_id FROM runs WHERE graph_id = 'g' ORDER BY created_at DESC LIMIT 50",
      created: 'SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 50',
      started: 'SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 50',
      cost: 'SELECT run_id FROM runs ORDER BY cost_usd DESC LIMIT 50',
      tokens: 'SELECT run_id FROM runs ORDER BY tokens DESC LIMIT 50',
      duration: 'SELECT run_id FROM runs ORDER BY duration_ms DESC LIMIT 50',
      byStatus: 'SELECT run_id FROM runs ORDER BY status DESC, created_at DESC LIMIT 50',
      byGraph: 'SELECT run_id FROM runs ORDER BY graph_id ASC, created_at ASC LIMIT 50',
    };
    const planOf = (sql: string, ...params: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
    for (const [name, sql] of Object.entries(plans)) {
      const plan = planOf(sql);
      expect(plan, name).toMatch(/USING (COVERING )?INDEX runs_/);
      if (name !== 'statusCost') expect(plan, name).not.toMatch(/TEMP B-TREE/);
    }
    // Free text: the trigram FTS index, then the runs rows by rowid (no scan of runs).
    const text = planOf(
      "SELECT run_id FROM runs WHERE status = 'failed' AND rowid IN (SELECT rowid FROM runs_search WHERE runs_search MATCH ?) ORDER BY created_at DESC LIMIT 50",
      '"acme"',
    );
    expect(text).toMatch(/runs_search VIRTUAL TABLE INDEX \d+:M/);
    expect(text).toMatch(/SEARCH runs USING (INTEGER PRIMARY KEY|INDEX runs_status)/);
    expect(text).not.toMatch(/SCAN runs( |$)/);
    const only = planOf(
      'SELECT count(*) FROM runs WHERE rowid IN (SELECT rowid FROM runs_search WHERE runs_search MATCH ?)',
      '"acme"',
    );
    expect(only).toMatch(/runs_search VIRTUAL TABLE INDEX \d+:M/);
    expect(only).not.toMatch(/SCAN runs( |$)/);
  });
});
