/**
 * Opening the database file: where it lives, refusing files that are not ours (without
 * touching them), WAL + busy timeout for several processes, and migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../core/errors.js';
import { SCHEMA_VERSION, STATEPIPE_APPLICATION_ID, migrate, userVersion } from './migrations.js';
import { dbError } from './db-error.js';
import { SqliteStore } from './sqlite-store.js';
import type { OpenOptions } from './types.js';

function isSqliteError(err: unknown): boolean {
  return err instanceof Database.SqliteError;
}

/** SQLite's (and the OS's) ways of saying the disk is full. */
const DISK_FULL = new Set([
  'SQLITE_FULL',
  'SQLITE_IOERR_SHMSIZE',
  'SQLITE_IOERR_WRITE',
  'SQLITE_IOERR_TRUNCATE',
  'SQLITE_IOERR_FSYNC',
  'ENOSPC',
]);

/**
 * Opens (creating and migrating if needed) a statepipe database.
 * Throws AppError('database') with one line naming the file when it cannot.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): SqliteStore {
  const abs = path.resolve(file);
  try {
    return openFile(abs, opts);
  } catch (err) {
    const cause = err instanceof AppError ? err.cause : err;
    const code = (cause as { code?: unknown } | null)?.code;
    if (!opts.forReading || opts.readonly || typeof code !== 'string' || !DISK_FULL.has(code)) throw err;
    return openForReading(abs, opts);
  }
}

/**
 * A connection that only reads, for a full disk: in EXCLUSIVE locking mode (set before the first
 * read) SQLite keeps the WAL index in its own memory instead of the -shm file it cannot grow.
 */
function openForReading(abs: string, opts: OpenOptions): SqliteStore {
  let db: Database.Database;
  try {
    db = new Database(abs, { fileMustExist: true, timeout: opts.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw dbError(abs, err, 'open');
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('query_only = ON'); // a write through this connection is refused, not attempted
    checkOwnership(db, abs, true);
    return new SqliteStore(db, abs, { leaseMs: opts.leaseMs ?? 30_000 });
  } catch (err) {
    db.close();
    throw dbError(abs, err, 'open');
  }
}

function openFile(abs: string, opts: OpenOptions): SqliteStore {
  const readonly = opts.readonly === true;
  const exists = fs.existsSync(abs);

  if (exists && fs.statSync(abs).isDirectory())
    throw new AppError('database', `cannot open database ${abs}: it is a directory`);
  if (!exists) {
    if (readonly) throw new AppError('database', `cannot open database ${abs}: no such file`);
    // A command that only reads creates nothing: a mistyped --db is told, not answered from a new empty file.
    if (opts.forReading)
      throw new AppError(
        'database',
        `no database at ${abs}: nothing has run with it (a command that only reads creates none; check --db or STATEPIPE_DB)`,
      );
    try {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
    } catch (err) {
      const m = err instanceof Error ? err.message : String(err);
      throw new AppError('database', `cannot create the folder for database ${abs}: ${m}`);
    }
  } else if (!readonly) {
    try {
      fs.accessSync(abs, fs.constants.R_OK | fs.constants.W_OK);
    } catch (err) {
      const c = (err as { code?: string }).code;
      if (c === 'EACCES' || c === 'EPERM' || c === 'EROFS')
        throw new AppError('database', `${abs} is read-only; statepipe needs to write to it`);
      throw dbError(abs, err, 'open');
    }
  }

  let db: Database.Database;
  try {
    db = new Database(abs, {
      readonly,
      fileMustExist: readonly,
      timeout: opts.busyTimeoutMs ?? 5000,
      ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    });
  } catch (err) {
    if (err instanceof TypeError || isSqliteError(err)) throw dbError(abs, err, 'open');
    throw new AppError('database', `cannot open database ${abs}: ${err instanceof Error ? err.message : String(err)}`);
  }

  try {
    // Connection settings only: nothing here writes to the file.
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    checkOwnership(db, abs, readonly);
    if (!readonly) {
      toWal(db, opts.busyTimeoutMs ?? 5000);
      migrate(db);
    }
    return new SqliteStore(db, abs, { leaseMs: opts.leaseMs ?? 30_000 });
  } catch (err) {
    try {
      db.close();
    } catch {
      /* already failing */
    }
    throw dbError(abs, err, 'open');
  }
}

/**
 * Switches a fresh file to WAL. SQLite may answer SQLITE_BUSY at once, without its busy handler,
 * when another process opens the same fresh file at that moment (both want the exclusive lock the
 * switch needs): try again until the busy timeout, as a write would wait.
 */
function toWal(db: Database.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
      if (mode !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

/**
 * Reads the header and the schema: refuses a file that is not SQLite, not statepipe's, or
 * from a newer statepipe. Reads only, so a refused file is left byte-identical.
 */
function checkOwnership(db: Database.Database, file: string, readonly: boolean): void {
  // One read transaction, so the three answers are of one moment: read one by one, another
  // process's first migration could commit between them (no application id, then a version).
  const { tables, appId, version } = db.transaction(() => ({
    // The first read of the header: a non-SQLite file throws SQLITE_NOTADB here.
    tables: Number(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").pluck().get()),
    appId: Number(db.pragma('application_id', { simple: true })),
    version: userVersion(db),
  }))();

  if (appId !== STATEPIPE_APPLICATION_ID) {
    if (appId !== 0 || tables > 0 || version !== 0) {
      throw new AppError(
        'database',
        `${file} is not a statepipe database (it belongs to another application` +
          (appId !== 0 ? `, application_id 0x${(appId >>> 0).toString(16)}` : '') +
          '); choose another file with --db or STATEPIPE_DB',
      );
    }
    if (readonly)
      throw new AppError('database', `${file} is not a statepipe database (it is empty) and was opened read-only`);
    return; // empty file: ours to initialise
  }
  if (version > SCHEMA_VERSION) {
    throw new AppError(
      'database',
      `${file} was created by a newer statepipe (schema ${version} > ${SCHEMA_VERSION}); upgrade statepipe to open it`,
    );
  }
  if (readonly && version < SCHEMA_VERSION) {
    throw new AppError(
      'database',
      `${file} has an older schema (${version} < ${SCHEMA_VERSION}) and was opened read-only; open it read-write once to migrate`,
    );
  }
}
