import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import type { NewEvent } from '../../core/events.js';
import { MIGRATIONS, SCHEMA_VERSION, STATEPIPE_APPLICATION_ID, migrate } from './migrations.js';
import { defaultDbPath } from './db-path.js';
import { openDatabase } from './open.js';
import type { SqliteStore } from './sqlite-store.js';
import { logEvents, newRun, rid, tmpDir } from './test-helpers.js';

const open: SqliteStore[] = [];
function track(s: SqliteStore): SqliteStore {
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function dbErrorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('database');
    return err as AppError;
  }
  throw new Error('expected an AppError');
}

/** Appends as the run's lease holder, after its last seq (synchronously: these are SQLite's own tests). */
async function put(s: SqliteStore, runId: string, events: NewEvent[]) {
  const lease = (await s.acquireLease(rid(runId), { id: `test-${runId}` }))!;
  const row = (await s.getRunRow(runId))!;
  return s.appendNow(rid(runId), events, { epoch: lease.epoch, afterSeq: row.lastSeq });
}

describe('openDatabase', () => {
  it('creates parent folders, migrates an empty file, and uses WAL', async () => {
    const file = path.join(tmpDir(), 'a', 'b', 'sp.db');
    const store = track(openDatabase(file));
    expect(fs.existsSync(file)).toBe(true);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('application_id', { simple: true })).toBe(STATEPIPE_APPLICATION_ID);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    for (const t of ['approvals', 'controls', 'events', 'graph_versions', 'graphs', 'meta', 'runs', 'stream_chunks']) {
      expect(tables).toContain(t);
    }
  });

  it('honours synchronous NORMAL', async () => {
    const store = track(openDatabase(path.join(tmpDir(), 'n.db'), { synchronous: 'NORMAL' }));
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('keeps data across reopen (and reopening does not re-migrate)', async () => {
    const file = path.join(tmpDir(), 'sp.db');
    const s1 = openDatabase(file);
    await s1.createRun(newRun('run_keep'));
    await put(s1, 'run_keep', logEvents(3));
    await s1.close();
    const s2 = track(openDatabase(file));
    const { events, graph } = await s2.loadRun(rid('run_keep'));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(graph.id).toBe('demo');
    expect((await s2.getRunRow('run_keep'))?.lastSeq).toBe(4);
  });

  it('opens read-only, and refuses writes with a database error', async () => {
    const file = path.join(tmpDir(), 'sp.db');
    const s1 = openDatabase(file);
    await s1.createRun(newRun('run_ro'));
    await s1.close();
    const ro = track(openDatabase(file, { readonly: true }));
    expect((await ro.listRuns()).map((r) => r.runId)).toEqual(['run_ro']);
    const err = dbErrorOf(() => ro.appendNow(rid('run_ro'), logEvents(1), { epoch: 0, afterSeq: 1 }));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/read-only/);
  });

  it('refuses a missing file in read-only mode', async () => {
    const file = path.join(tmpDir(), 'missing.db');
    expect(dbErrorOf(() => openDatabase(file, { readonly: true })).message).toContain(file);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses a text file as "not a database" and leaves it unchanged', async () => {
    const file = path.join(tmpDir(), 'notes.txt');
    const text = 'hello, I am not a database\n'.repeat(100);
    fs.writeFileSync(file, text);
    const err = dbErrorOf(() => openDatabase(file));
    expect(err.message).toMatch(/not a database/);
    expect(err.message).toContain(file);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it("refuses another application's SQLite file and leaves it byte-identical", async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'other.db');
    const other = new Database(file);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x');");
    other.close();
    const before = fs.readFileSync(file);
    const err = dbErrorOf(() => openDatabase(file));
    expect(err.message).toMatch(/not a statepipe database/);
    expect(err.message).toContain(file);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['other.db']);
  });

  it('refuses a file with a foreign application_id even when empty', async () => {
    const file = path.join(tmpDir(), 'other.db');
    const other = new Database(file);
    other.pragma('application_id = 1234');
    other.close();
    expect(dbErrorOf(() => openDatabase(file)).message).toMatch(/not a statepipe database/);
  });

  it('refuses a schema newer than this code knows', async () => {
    const file = path.join(tmpDir(), 'sp.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 6}`);
    raw.close();
    const before = fs.readFileSync(file);
    const err = dbErrorOf(() => openDatabase(file));
    expect(err.message).toContain(`created by a newer statepipe (schema ${SCHEMA_VERSION + 6} > ${SCHEMA_VERSION})`);
    expect(err.message).toContain(file);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a directory and an uncreatable parent folder', async () => {
    const dir = tmpDir();
    expect(dbErrorOf(() => openDatabase(dir)).message).toMatch(/directory/);
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, 'x');
    const err = dbErrorOf(() => openDatabase(path.join(blocker, 'sub', 'sp.db')));
    expect(err.message).toMatch(/cannot create the folder/);
  });

  it('two connections can use one file at once', async () => {
    const file = path.join(tmpDir(), 'sp.db');
    const a = track(openDatabase(file));
    const b = track(openDatabase(file));
    await a.createRun(newRun('run_a'));
    await b.createRun(newRun('run_b'));
    await put(a, 'run_b', logEvents(2));
    expect((await b.eventsSince('run_b', 0)).map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});

describe('migrate', () => {
  it('applies pending migrations in order, once', async () => {
    const db = new Database(path.join(tmpDir(), 'm.db'));
    try {
      const extra = [
        ...MIGRATIONS,
        { version: SCHEMA_VERSION + 1, name: 'test', sql: 'CREATE TABLE extra (x INTEGER);' },
      ];
      expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(migrate(db)).toEqual([]);
      expect(migrate(db, extra)).toEqual([SCHEMA_VERSION + 1]);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
      // A failing migration changes nothing.
      const broken = [
        ...extra,
        { version: SCHEMA_VERSION + 2, name: 'bad', sql: 'CREATE TABLE y (a); CREATE TABLE extra (x);' },
      ];
      expect(() => migrate(db, broken)).toThrow();
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'y'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});

describe('defaultDbPath', () => {
  it('uses STATEPIPE_DB, else the per-user file', async () => {
    const saved = process.env['STATEPIPE_DB'];
    try {
      process.env['STATEPIPE_DB'] = '/tmp/x/custom.db';
      expect(defaultDbPath()).toBe('/tmp/x/custom.db');
      delete process.env['STATEPIPE_DB'];
      const p = defaultDbPath();
      if (process.platform === 'linux') expect(p).toMatch(/\.statepipe[/\\]statepipe\.db$/);
      expect(path.basename(p)).toBe('statepipe.db');
    } finally {
      if (saved === undefined) delete process.env['STATEPIPE_DB'];
      else process.env['STATEPIPE_DB'] = saved;
    }
  });
});
