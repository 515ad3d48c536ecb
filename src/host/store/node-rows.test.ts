import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ev } from '../../core/events.js';
import { MIGRATIONS, SCHEMA_VERSION, userVersion, migrate } from './migrations.js';
import { openDatabase } from './open.js';
import { SqliteStore } from './sqlite-store.js';
import { newRun, nid, rid, tmpDir } from './test-helpers.js';

const open: SqliteStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) void s.close();
});

const tables = (db: Database.Database): unknown[] =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();

describe('node states and attempts on SQLite (folded from the events)', () => {
  it('a database of schema 8 loses its node tables and answers the same rows from its events', async () => {
    const file = path.join(tmpDir(), 'v8.db');
    const db = new Database(file);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 8),
    );
    expect(tables(db)).toContain('node_states');
    const old = new SqliteStore(db, file);
    await old.createRun(newRun('run_v8'));
    const lease = (await old.acquireLease(rid('run_v8'), { id: 'w' }))!;
    old.appendNow(
      rid('run_v8'),
      [
        ev('run.started', {}),
        ev('node.queued', {}, nid('ask')),
        ev('node.started', { attempt: 1, idempotencyKey: 'run_v8:ask:1' }, nid('ask')),
        ev(
          'node.retrying',
          { attempt: 2, delayMs: 0, error: { kind: 'network', message: 'x', retryable: true } },
          nid('ask'),
        ),
        ev('node.started', { attempt: 2, idempotencyKey: 'run_v8:ask:2' }, nid('ask')),
        ev('node.succeeded', { attempt: 2, durationMs: 7, output: { a: 1 }, model: 'm' }, nid('ask')),
      ],
      { epoch: lease.epoch, afterSeq: 1 },
    );
    db.prepare(
      "INSERT INTO node_states (run_id, node_id, status, updated_seq) VALUES ('run_v8', 'ask', 'stale', 1)",
    ).run();
    db.close();

    const store = openDatabase(file);
    open.push(store);
    expect(userVersion(store.db)).toBe(SCHEMA_VERSION);
    expect(tables(store.db)).not.toContain('node_states');
    expect(tables(store.db)).not.toContain('node_attempts');
    const columns = store.db.prepare("SELECT name FROM pragma_table_info('runs')").pluck().all();
    expect(columns).not.toContain('last_seq');
    expect((await store.getRunRow('run_v8'))!.lastSeq).toBe(7);
    const [ask, ...rest] = await store.nodeStates('run_v8');
    expect(rest).toEqual([]);
    expect(ask).toMatchObject({ nodeId: 'ask', status: 'succeeded', attempt: 2, output: { a: 1 }, updatedSeq: 7 });
    const attempts = await store.nodeAttempts('run_v8', 'ask');
    expect(attempts.map((a) => [a.attempt, a.status, a.idempotencyKey, a.model])).toEqual([
      [1, 'failed', 'run_v8:ask:1', null],
      [2, 'succeeded', 'run_v8:ask:2', 'm'],
    ]);
    expect(attempts[0]!.error).toMatchObject({ kind: 'network' });
  });

  it('a commit of node events writes those events and nothing else (no node rows, no run row)', async () => {
    const store = openDatabase(path.join(tmpDir(), 'pages.db'));
    open.push(store);
    await store.createRun(newRun('run_p'));
    const lease = (await store.acquireLease(rid('run_p'), { id: 'w' }))!;
    const before = store.db.prepare('SELECT total_changes()').pluck().get() as number;
    store.appendNow(
      rid('run_p'),
      [
        ev('node.queued', {}, nid('ask')),
        ev('node.started', { attempt: 1, idempotencyKey: 'run_p:ask:1' }, nid('ask')),
      ],
      {
        epoch: lease.epoch,
        afterSeq: 1,
      },
    );
    const changes = (store.db.prepare('SELECT total_changes()').pluck().get() as number) - before;
    expect(changes).toBe(2); // the two events
    expect((await store.getRunRow('run_p'))!.lastSeq).toBe(3);
  });
});
