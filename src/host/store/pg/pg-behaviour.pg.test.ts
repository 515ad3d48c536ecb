/**
 * What only the PostgreSQL store has to prove: controls through LISTEN/NOTIFY within 200 ms
 * (and after the listening connection is cut), the transaction-id event cursor never skipping
 * an event that commits late, hostile text in literals, and a dashboard served by indexes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, type NewEvent } from '../../../core/events.js';
import { logEvents, makeGraph, newRun, nid, rid } from '../test-helpers.js';
import { openPostgres } from './open.js';
import { runsQuery } from './pg-queries.js';
import type { PostgresStore } from './pg-store.js';
import { freshStore, rawClient, testDatabase } from './pg-test-kit.js';

let url: string;
let store: PostgresStore;
beforeAll(async () => {
  url = await testDatabase();
  store = await freshStore(url);
});
afterAll(async () => {
  await store.close();
});

/** Resolves with the ms from now until `wake` is called once. */
function nextWake(): { wake: () => void; latency: Promise<number> } {
  const t0 = performance.now();
  let wake!: () => void;
  const latency = new Promise<number>((resolve) => (wake = () => resolve(performance.now() - t0)));
  return { wake: () => wake(), latency };
}

describe('controls through LISTEN/NOTIFY', () => {
  it('a control requested by another process wakes the watcher of that run within 200 ms', async () => {
    await store.createRun(newRun('run_w1'));
    await store.createRun(newRun('run_w2'));
    const other = await openPostgres(url);
    try {
      let pending: ((ms: number) => void) | undefined;
      let t0 = 0;
      const wokenFor: string[] = [];
      const stop1 = store.watchControls(rid('run_w1'), () => {
        wokenFor.push('run_w1');
        pending?.(performance.now() - t0);
      });
      const stop2 = store.watchControls(rid('run_w2'), () => wokenFor.push('run_w2'));
      await store.listening();
      wokenFor.length = 0; // the wake-up of every watcher when the LISTEN comes up
      const latencies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const woken = new Promise<number>((resolve) => (pending = resolve));
        t0 = performance.now();
        await other.requestControl(rid('run_w1'), i % 2 ? 'pause' : 'cancel');
        latencies.push(await woken);
        expect(await store.takeControls(rid('run_w1'))).toHaveLength(1);
      }
      expect(Math.max(...latencies)).toBeLessThan(200);
      expect(wokenFor.filter((r) => r === 'run_w2')).toEqual([]);
      stop1();
      stop2();
      // Unwatched: nothing is called.
      await other.requestControl(rid('run_w1'), 'pause');
      await new Promise((r) => setTimeout(r, 100));
      expect(wokenFor).toHaveLength(10);
    } finally {
      await other.close();
    }
  });

  it('when the listening connection is cut it comes back, wakes every watcher, and notifies again', async () => {
    await store.createRun(newRun('run_cut'));
    let current = nextWake();
    const stop = store.watchControls(rid('run_cut'), () => current.wake());
    await store.listening();
    const back = nextWake();
    current = back;
    const admin = await rawClient(url);
    try {
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'statepipe (controls)' AND datname = current_database()",
      );
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    expect(await back.latency).toBeLessThan(2_000); // reconnected: woken in case a request was missed
    const again = nextWake();
    current = again;
    await store.requestControl(rid('run_cut'), 'pause');
    expect(await again.latency).toBeLessThan(200);
    stop();
  });
});

describe('the store-wide event cursor', () => {
  const eventRow = (runId: string, seq: number) =>
    `INSERT INTO statepipe.events (run_id, seq, ts, type, node_id, data) VALUES ('${runId}', ${seq}, now(), 'node.log', 'ask', '{"level":"info","message":"late"}')`;

  it('never skips an event whose transaction commits after a later one', async () => {
    await store.createRun(newRun('run_x'));
    await store.createRun(newRun('run_y'));
    const ly = (await store.acquireLease(rid('run_y'), { id: 'w' }))!;
    const start = await store.maxEventCursor();
    const t1 = await rawClient(url);
    try {
      // T1 takes its transaction id first and writes its event last.
      await t1.query('BEGIN');
      await t1.query('SELECT pg_current_xact_id()');
      await store.append(rid('run_y'), logEvents(1), { epoch: ly.epoch, afterSeq: 1 }); // T2: commits at once
      expect((await store.eventsAfterCursor(start, 100)).events).toEqual([]);
      await t1.query(eventRow('run_x', 2));
      expect((await store.eventsAfterCursor(start, 100)).events).toEqual([]);
      await t1.query('COMMIT');
      const page = await store.eventsAfterCursor(start, 100);
      expect(page.events.map((e) => `${e.runId}:${e.seq}`)).toEqual(['run_x:2', 'run_y:2']);
      expect((await store.eventsAfterCursor(page.cursor, 100)).events).toEqual([]);

      // The other order: T1 writes first, a later transaction commits first.
      const mid = page.cursor;
      await t1.query('BEGIN');
      await t1.query(eventRow('run_x', 3));
      await store.append(rid('run_y'), logEvents(2), { epoch: ly.epoch, afterSeq: 2 });
      expect((await store.eventsAfterCursor(mid, 100)).events).toEqual([]);
      await t1.query('COMMIT');
      const next = await store.eventsAfterCursor(mid, 100);
      expect(next.events.map((e) => `${e.runId}:${e.seq}`)).toEqual(['run_x:3', 'run_y:3', 'run_y:4']);
    } finally {
      await t1.query('ROLLBACK').catch(() => undefined);
      await t1.end();
    }
  });

  it('never splits a transaction: one larger than the limit comes whole, a cut one waits', async () => {
    await store.createRun(newRun('run_big'));
    const l = (await store.acquireLease(rid('run_big'), { id: 'w' }))!;
    const start = await store.maxEventCursor();
    await store.append(rid('run_big'), logEvents(10), { epoch: l.epoch, afterSeq: 1 });
    await store.append(rid('run_big'), logEvents(3), { epoch: l.epoch, afterSeq: 11 });
    await store.append(rid('run_big'), logEvents(3), { epoch: l.epoch, afterSeq: 14 });
    const p1 = await store.eventsAfterCursor(start, 4);
    expect(p1.events.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const p2 = await store.eventsAfterCursor(p1.cursor, 4);
    expect(p2.events.map((e) => e.seq)).toEqual([12, 13, 14]);
    const p3 = await store.eventsAfterCursor(p2.cursor, 4);
    expect(p3.events.map((e) => e.seq)).toEqual([15, 16, 17]);
  });
});

describe('hostile text', () => {
  it('quotes, backslashes, NUL, emoji and SQL in ids and data round-trip (NUL in raw text becomes U+FFFD)', async () => {
    const id = "run_o'hara\\x";
    const node = nid("n'\\");
    const evil = `'); DROP TABLE statepipe.runs; -- \\' \\\\ \u0000 😀 $$ $x$`;
    const run = newRun(id, makeGraph("g'\\"), { evil });
    await store.createRun(run);
    const l = (await store.acquireLease(rid(id), { id: 'w' }))!;
    const events: NewEvent[] = [
      ev('run.started', {}),
      ev('node.started', { attempt: 1, idempotencyKey: evil }, node),
      ev('node.tokens', { attempt: 1, text: evil }, node),
      ev('node.succeeded', { attempt: 1, durationMs: 1, output: { evil }, model: evil }, node),
      ev('approval.requested', { title: evil, details: evil }, nid('gate')),
    ];
    const committed = await store.append(rid(id), events, { epoch: l.epoch, afterSeq: 1 });
    const loaded = await store.loadRun(rid(id));
    expect(loaded.events.slice(1)).toEqual(committed);
    expect((await store.getRunRow(id))!.input).toEqual({ evil });
    expect((await store.nodeStates(id)).find((n) => n.nodeId === node)!.output).toEqual({ evil });
    expect((await store.nodeAttempts(id, node))[0]).toMatchObject({ idempotencyKey: evil.replace('\u0000', '\uFFFD') });
    expect(await store.streamedText(id, node, 1)).toBe(evil.replace('\u0000', '\uFFFD'));
    expect((await store.openApprovals(id))[0]).toMatchObject({
      title: evil.replace('\u0000', '\uFFFD'),
      details: evil,
    });
    expect((await store.listRuns({ text: 'DROP TABLE' })).map((r) => r.runId)).toEqual([id]);
    expect(await store.countRuns()).toBeGreaterThan(0);
  });
});

describe('the dashboard at scale', () => {
  it('uses an index for every filter and sort (no sort of the table, no scan for free text)', async () => {
    const db = await openPostgres(await testDatabase());
    try {
      const pool = db.pgPool;
      await db.createRun(newRun('run_seed', makeGraph('g')));
      // 50 000 runs (a few waiting, the rest in 4 statuses) with inputs of a realistic length, one in
      // five a child run of the next one; then statistics as autovacuum would have them.
      await pool.query(`
        INSERT INTO statepipe.runs (run_id, graph_id, graph_version, graph_hash, status, input, created_at, started_at,
            cost_usd, tokens, duration_ms, parent_run_id, parent_node_id, child_key)
          SELECT 'run_' || i, 'g', 1, 'h', CASE WHEN i % 500 = 1 THEN 'waiting' ELSE (ARRAY['succeeded','failed','running','queued'])[1 + i % 4] END,
                 '{"customer":"c' || i || '","note":"' || repeat('lorem ipsum dolor ', 10) || '"}', now() - i * interval '1 second', now() - i * interval '1 second',
                 (i % 97) / 100.0, i % 1000, i % 5000,
                 CASE WHEN i % 5 = 0 THEN 'run_' || (i + 1) END, CASE WHEN i % 5 = 0 THEN 'each' END, CASE WHEN i % 5 = 0 THEN 0 END
            FROM generate_series(1, 50000) i`);
      // Statistics from every row (not a sample), so that the plans do not vary from run to run.
      const c = await pool.connect();
      try {
        await c.query('SET default_statistics_target = 1000');
        await c.query('VACUUM ANALYZE statepipe.runs');
        await c.query('VACUUM ANALYZE statepipe.run_search');
      } finally {
        c.release();
      }
      const plan = async (opts: Parameters<typeof runsQuery>[0], count = false) => {
        const { text, params } = runsQuery(opts, count);
        const { rows } = await pool.query(`EXPLAIN ${text}`, params);
        return (rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      };
      /** An index of runs, never a scan of the table; with no filter, the page is an index walk (no sort). */
      const indexed = (p: string, what: string, walk = true) => {
        expect(p, what).toMatch(/(Index (Only )?Scan( Backward)?|Bitmap Index Scan) (using|on) runs_/);
        expect(p, what).not.toMatch(walk ? /Sort|Seq Scan/ : /Seq Scan/);
      };
      for (const sort of ['created', 'started', 'cost', 'tokens', 'duration', 'status', 'graph'] as const) {
        for (const order of ['asc', 'desc'] as const) indexed(await plan({ sort, order }), `${sort} ${order}`);
        indexed(await plan({ sort, status: 'failed', limit: 50, offset: 500 }), `${sort}, failed, page 11`, false);
      }
      expect(await plan({ status: 'waiting' })).toMatch(/Index Scan( Backward)? using runs_status/);
      indexed(await plan({ status: 'waiting' }), 'waiting');
      indexed(await plan({ graphId: 'g', from: '2026-01-01', to: '2027-01-01' }), 'graph and dates');
      expect(await plan({ text: 'c4242' })).toMatch(/Bitmap Index Scan on run_search_text/);
      expect(await plan({ text: 'c4242' })).not.toMatch(/Seq Scan on runs/);
      expect(await plan({ text: 'c4242', status: 'failed' }, true)).toMatch(/run_search_text/);
      expect(await plan({ status: 'waiting' }, true)).toMatch(/Index Only Scan using runs_status/);
      // A word in every run: walking the newest first finds 50 at once, no index of the text needed.
      expect(await plan({ text: 'lorem' })).toMatch(/Index Scan Backward using runs_top/);
      expect(await db.countRuns({ text: 'c4242' })).toBe(9); // c4242, c42420…c42429 but two child runs (c42420, c42425)
      // Top-level runs by default (the sort indexes hold only those); every run newest first; a run's children.
      expect(await plan({})).toMatch(/Index Scan Backward using runs_top/);
      expect(await plan({ all: true })).toMatch(/Index Scan Backward using runs_created/);
      indexed(await plan({ all: true }), 'every run');
      expect(await plan({ parentRunId: 'run_4246', order: 'asc' })).toMatch(/Index Scan using runs_children/);
      indexed(await plan({ parentRunId: 'run_4246' }), 'children');
      const counts = await pool.query(
        `EXPLAIN SELECT parent_run_id, status, count(*) FROM statepipe.runs
          WHERE parent_run_id = ANY($1::text[]) GROUP BY parent_run_id, status`,
        [Array.from({ length: 50 }, (_, i) => `run_${i * 5 + 1}`)],
      );
      expect(counts.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n')).toMatch(
        /Index Only Scan using runs_children/,
      );
      expect((await db.listRuns({ limit: 2 })).map((r) => [r.runId, r.children])).toEqual([
        ['run_seed', undefined],
        ['run_1', undefined],
      ]);
      expect((await db.listRuns({ parentRunId: 'run_6' })).map((r) => r.parent)).toEqual([
        { runId: 'run_6', nodeId: 'each', key: 0 },
      ]);
      expect(await db.listRuns({ text: '"c6"' })).toMatchObject([{ runId: 'run_6', children: { failed: 1 } }]);
    } finally {
      await db.close();
    }
  });
});

describe('takeControls while listening', () => {
  it('asks the database only when a control was heard of (or seconds passed), and never misses one', async () => {
    await store.createRun(newRun('run_q'));
    const other = await openPostgres(url);
    const pool = store.pgPool;
    const query = pool.query.bind(pool);
    let queries = 0;
    pool.query = ((...args: Parameters<typeof query>) => {
      queries++;
      return query(...args);
    }) as typeof pool.query;
    try {
      // Requested before anyone watched: the first take finds it.
      await other.requestControl(rid('run_q'), 'pause');
      let woken = nextWake();
      const stop = store.watchControls(rid('run_q'), () => woken.wake());
      await store.listening();
      expect(await store.takeControls(rid('run_q'))).toEqual([{ kind: 'pause' }]);
      queries = 0;
      for (let i = 0; i < 20; i++) expect(await store.takeControls(rid('run_q'))).toEqual([]);
      expect(queries).toBeLessThanOrEqual(1);
      woken = nextWake();
      await other.requestControl(rid('run_q'), 'cancel');
      await woken.latency;
      expect(await store.takeControls(rid('run_q'))).toEqual([{ kind: 'cancel' }]);
      stop();
      // Not watched: every take asks.
      queries = 0;
      await store.takeControls(rid('run_q'));
      await store.takeControls(rid('run_q'));
      expect(queries).toBe(2);
    } finally {
      pool.query = query;
      await other.close();
    }
  });
});
