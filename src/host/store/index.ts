/**
 * The stores: `openStore` opens the one a spec names (a SQLite file or a PostgreSQL URL);
 * `openDatabase` opens a SQLite file; everything else is their vocabulary.
 */
export { defaultDbPath } from './db-path.js';
export { openDatabase } from './open.js';
export { dbError } from './db-error.js';
export { MIGRATIONS, SCHEMA_VERSION, STATEPIPE_APPLICATION_ID, migrate, type Migration } from './migrations.js';
export { SqliteStore, isPidAlive, sha256 } from './sqlite-store.js';
export type * from './types.js';
export type { Store } from './store.js';
export { openStore, type StoreOptions } from './open-store.js';
export { isPostgresUrl, resolveStoreSpec } from './spec.js';
