/** The SQLite store: `openDatabase` is the entry point; everything else is its vocabulary. */
export { defaultDbPath, openDatabase } from './open.js';
export { dbError } from './db-error.js';
export { MIGRATIONS, SCHEMA_VERSION, STATEPIPE_APPLICATION_ID, migrate, type Migration } from './migrations.js';
export { SqliteStore, isPidAlive, sha256 } from './sqlite-store.js';
export type * from './types.js';
export type { Store } from './store.js';
