/**
 * One way to open the store a person named: `--db`, STATEPIPE_DB or the app's default, a SQLite
 * file path or a `postgres://` / `postgresql://` URL (docs/scale-out.md "Selecting the store").
 * StatepipeService.open, the CLI, `serve` and the desktop app all come through here.
 */
import { openDatabase } from './open.js';
import type { PgOpenOptions } from './pg/open.js';
import { isPostgresUrl, resolveStoreSpec } from './spec.js';
import type { Store } from './store.js';
import type { OpenOptions } from './types.js';

export type StoreOptions = OpenOptions & PgOpenOptions;

/**
 * Opens (creating and migrating if needed) the store of `spec`. Throws AppError('database') with
 * one line naming the file, or the URL without its password, when it cannot.
 */
export async function openStore(spec: string, opts: StoreOptions = {}): Promise<Store> {
  if (!isPostgresUrl(spec)) return openDatabase(resolveStoreSpec(spec), opts);
  // Loaded only for PostgreSQL: opening a SQLite file costs what it did before.
  const { openPostgres } = await import('./pg/open.js');
  const { readonly, leaseMs, poolSize, connectTimeoutMs } = opts;
  return openPostgres(spec.trim(), {
    ...(readonly !== undefined ? { readonly } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(poolSize !== undefined ? { poolSize } : {}),
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
  });
}
