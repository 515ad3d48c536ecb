import { AppError } from '../../core/errors.js';

/** Turns a SQLite (or fs) failure into one clear line naming the file (the failure is its `cause`). */
export function dbError(file: string, err: unknown, doing = 'use'): AppError {
  if (err instanceof AppError) return err;
  const e = describe(file, err, doing);
  return new AppError(e.code, e.message, undefined, { cause: err });
}

function describe(file: string, err: unknown, doing: string): AppError {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  const c = typeof code === 'string' ? code : '';
  if (c === 'SQLITE_NOTADB') return new AppError('database', `${file} is not a database (SQLite says: ${msg})`);
  if (c.startsWith('SQLITE_READONLY') || c === 'EROFS')
    return new AppError('database', `${file} is read-only; statepipe needs to write to it (${msg})`);
  if (c.startsWith('SQLITE_CANTOPEN') || c === 'EACCES' || c === 'EPERM' || c.startsWith('SQLITE_PERM'))
    return new AppError('database', `cannot open database ${file}: ${msg}`);
  if (c.startsWith('SQLITE_CORRUPT')) return new AppError('database', `${file} is corrupt: ${msg}`);
  if (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED'))
    return new AppError('database', `${file} is locked by another process for too long: ${msg}`);
  if (c === 'SQLITE_FULL') return new AppError('database', `${file}: disk full: ${msg}`);
  // A full disk usually surfaces as an I/O error while growing the -shm or -wal file.
  if (
    c === 'SQLITE_IOERR_SHMSIZE' ||
    c === 'SQLITE_IOERR_WRITE' ||
    c === 'SQLITE_IOERR_FSYNC' ||
    c === 'SQLITE_IOERR_TRUNCATE'
  )
    return new AppError('database', `cannot write database ${file}: ${msg} (${c}); is the disk full?`);
  return new AppError('database', `cannot ${doing} database ${file}: ${msg}`);
}
